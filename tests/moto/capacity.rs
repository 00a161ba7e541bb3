//! What a request costs in DynamoDB capacity units, billed the way DynamoDB documents it: by
//! the size of each item a call touches (attribute names plus values), whatever a projection
//! returned, 4 KB per read unit (strongly consistent), 1 KB per write unit, twice that in a
//! transaction. moto answers a fixed `ConsumedCapacity`, so the units are computed here from
//! the items the intercepted calls name, read back raw from moto after the request. (A delete
//! is billed by the size of the item it removes, which is gone by then: deletes are left out.)

use crate::stack::{Item, Stack};
use aws_sdk_dynamodb::types::AttributeValue;
use credvault::testing::AwsCall;
use serde_json::{Value, json};
use std::collections::HashMap;

type Key = (String, String);

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Units {
    read: usize,
    write: usize,
}

fn value_size(value: &AttributeValue) -> usize {
    let number = |n: &String| n.len().div_ceil(2) + 1;
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, v)| k.len() + value_size(v) + 1)
                .sum::<usize>()
        }
        AttributeValue::L(l) => 3 + l.iter().map(|v| value_size(v) + 1).sum::<usize>(),
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(number).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        _ => 1,
    }
}

fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn key_of(json: &Value) -> Key {
    let part = |name: &str| {
        json[name]["S"]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in {json}: a call that cannot be billed"))
            .to_owned()
    };
    (part("pk"), part("sk"))
}

/// The units of `calls`, sizing each item by its state in `table` after the request (an
/// item a call deleted counts as the minimum, one unit).
fn units(calls: &[AwsCall], table: &HashMap<Key, Item>) -> Units {
    let size = |key: Key| table.get(&key).map_or(0, item_size);
    let read = |bytes: usize| bytes.div_ceil(4096).max(1);
    let write = |bytes: usize| bytes.div_ceil(1024).max(1);
    let written = |op: &Value| {
        let target = op.get("Item").or_else(|| op.get("Key")).expect("a key");
        write(size(key_of(target)))
    };
    let mut total = Units::default();
    for call in calls {
        let (Some(request), response) = (&call.request, &call.response) else {
            continue;
        };
        let operation = call.operation.rsplit('.').next().unwrap_or_default();
        match operation {
            "GetItem" => total.read += read(size(key_of(&request["Key"]))),
            "BatchGetItem" => {
                for table_request in request["RequestItems"]
                    .as_object()
                    .expect("tables")
                    .values()
                {
                    for key in table_request["Keys"].as_array().expect("keys") {
                        total.read += read(size(key_of(key)));
                    }
                }
            }
            "Query" => {
                let items = response.as_ref().expect("a Query answer")["Items"].clone();
                let bytes = items
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|i| size(key_of(i)));
                total.read += read(bytes.sum());
            }
            "PutItem" | "UpdateItem" | "DeleteItem" => total.write += written(request),
            "TransactWriteItems" => {
                for op in request["TransactItems"].as_array().expect("ops") {
                    let op = op
                        .as_object()
                        .and_then(|o| o.values().next())
                        .expect("one op");
                    total.write += 2 * written(op);
                }
            }
            other => panic!("{other}: not billed here"),
        }
    }
    total
}

async fn cost(stack: &Stack, method: &str, path: &str, body: Option<&Value>) -> Units {
    stack.calls.clear();
    let answer = stack.writer().request(method, path, body).await;
    assert!(
        answer.status.is_success(),
        "{method} {path}: {}",
        answer.text
    );
    let calls = stack.calls.calls();
    let table: HashMap<Key, Item> = stack
        .scan()
        .await
        .into_iter()
        .map(|item| {
            let part = |name: &str| item[name].as_s().expect("a string key").clone();
            ((part("pk"), part("sk")), item)
        })
        .collect();
    units(&calls, &table)
}

#[tokio::test]
async fn listing_and_recording_a_read_cost_the_same_whatever_the_size_of_data() {
    let stack = Stack::start().await;
    let names = ["alpha", "bravo", "charlie"];
    let credential = |data: String| json!({"type": "API_KEY", "data": {"key": data}, "metadata": {"service": "s"}});
    let mut rows = Vec::new();
    let mut measured = Vec::new();
    for (label, data) in [("1 B", "k".to_owned()), ("200 KiB", "k".repeat(200 * 1024))] {
        // GIVEN three credentials holding `data`
        let body = credential(data);
        let mut put = Units::default();
        for name in names {
            put = cost(&stack, "PUT", &format!("/v0/vault/{name}"), Some(&body)).await;
        }
        // WHEN they are listed, one is read (its first use) and read again at once
        let list = cost(&stack, "GET", "/v0/vault", None).await;
        let get = cost(&stack, "GET", "/v0/vault/alpha", None).await;
        let reread = cost(&stack, "GET", "/v0/vault/alpha", None).await;
        for (op, units) in [
            ("PUT", put),
            ("GET /v0/vault", list),
            ("GET (first use)", get),
            ("GET (within a minute)", reread),
        ] {
            rows.push(format!(
                "data {label:>7} | {op:<22} | {:>3} RCU | {:>3} WCU",
                units.read, units.write
            ));
        }
        measured.push((put, list, get, reread));
    }
    println!("{}", rows.join("\n"));
    let [
        (small_put, small_list, small_get, small_reread),
        (big_put, big_list, big_get, big_reread),
    ] = measured[..]
    else {
        unreachable!("two sizes measured")
    };
    // THEN a list reads the same units, and a read writes the same units, for 1 B or 200 KiB
    assert_eq!(big_list, small_list);
    assert_eq!(big_get.write, small_get.write);
    assert_eq!(big_reread.write, small_reread.write);
    // and a re-read within the minute writes less than the first use (no lastUsedAt write)
    assert!(
        small_reread.write < small_get.write,
        "{small_reread:?} {small_get:?}"
    );
    // while the sizes are really measured: storing and reading 200 KiB costs more
    assert!(
        big_put.write > 100 * small_put.write.max(1) / 2,
        "{big_put:?}"
    );
    assert!(big_get.read > small_get.read, "{big_get:?} {small_get:?}");
}
