//! `cargo bench --bench peak_memory`: the heap a request's body can make the function hold at
//! once. The worst body is the largest allowed one made of the smallest JSON values, since
//! each becomes a `serde_json::Value`; the function runs in 128 MB, and the goal is 64 MB.
//! Prints the peak heap above the baseline, for each body, through the whole handler.

use credvault::testing::{
    MCP_ACCEPT, TestClient, WRITE_KEY, api_event, event_with_headers, memory_vault,
};
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

/// The same `data` as an MCP `vault_store` call, `count` zeros long.
fn mcp_call_of(count: usize) -> String {
    let zeros = vec!["0"; count].join(",");
    format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"vault_store","arguments":{{"name":"big","type":"CUSTOM","data":{{"a":[{zeros}]}}}}}}}}"#
    )
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
    let bearer = format!("Bearer {WRITE_KEY}");
    let mcp_headers = [MCP_ACCEPT, ("authorization", bearer.as_str())];
    let rest = cases.map(|(label, item, size)| {
        let body = body_of(item, size);
        (
            label,
            api_event("PUT", "/v0/vault/big", Some(WRITE_KEY), Some(&body)),
        )
    });
    // Through rmcp, which copies a message several times: the most values it is given, and
    // a 1 MiB message of zeros, refused by its count before rmcp sees it.
    let most = credvault::mcp::MAX_MESSAGE_VALUES - 64;
    let mcp = [
        ("MCP, 99,936 zeros", most),
        ("MCP, 1 MiB of zeros", 520_000),
    ]
    .map(|(label, count)| {
        let body = mcp_call_of(count);
        (
            label,
            event_with_headers("POST", "/mcp", &mcp_headers, Some(&body)),
        )
    });
    for (label, request) in rest.into_iter().chain(mcp) {
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
