//! `cargo bench --bench peak_memory`: the heap a request's body can make the function hold at
//! once. The worst body is the largest allowed one made of the smallest JSON values, since
//! each becomes a `serde_json::Value`; the function runs in 128 MB, and the goal is 64 MB.
//! Prints the peak heap above the baseline, for each body, through the whole handler.

use credvault::testing::{TestClient, WRITE_KEY, api_event, memory_vault};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const TWO_MIB: usize = 2 * 1024 * 1024;

/// A body of about `size` bytes: `{"type":"CUSTOM","data":{"a":[<item>,<item>,...]}}`.
fn body_of(item: &str, size: usize) -> String {
    let head = r#"{"type":"CUSTOM","data":{"a":["#;
    let tail = "]}}";
    let count = (size - head.len() - tail.len() - 16) / (item.len() + 1);
    let mut body = String::with_capacity(size);
    body.push_str(head);
    for i in 0..count {
        if i > 0 {
            body.push(',');
        }
        body.push_str(item);
    }
    body.push_str(tail);
    body
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let vault = memory_vault();
    // The largest `data` still parsed: raw text up to twice the 256 KiB limit.
    let largest_parsed = 2 * 256 * 1024 - 64;
    let cases = [
        ("2 MiB of zeros", "0", TWO_MIB),
        ("2 MiB of []", "[]", TWO_MIB),
        ("2 MiB of {}", "{}", TWO_MIB),
        ("2 MiB of nulls", "null", TWO_MIB),
        ("512 KiB of zeros", "0", largest_parsed),
        ("512 KiB of {}", "{}", largest_parsed),
    ];
    for (label, item, size) in cases {
        let body = body_of(item, size);
        let request = api_event("PUT", "/v0/vault/big", Some(WRITE_KEY), Some(&body));
        drop(body);
        let baseline = CURRENT.load(Ordering::Relaxed);
        PEAK.store(baseline, Ordering::Relaxed);
        let status = runtime
            .block_on(TestClient::new(&vault).send(request))
            .status;
        let peak = PEAK.load(Ordering::Relaxed) - baseline;
        println!(
            "body of {label:<18} -> {status}  peak heap above baseline {:>6.1} MB",
            peak as f64 / 1e6
        );
    }
}
