//! An interceptor on the SDK clients that records each AWS call: which, when, and for
//! DynamoDB its bodies.

/// Records every AWS call a client makes, with when it started and ended, so tests can
/// count a request's round trips and how many of them were in sequence.
#[derive(Clone, Debug, Default)]
pub struct AwsCalls(std::sync::Arc<std::sync::Mutex<Vec<AwsCall>>>);

#[derive(Clone, Debug)]
pub struct AwsCall {
    pub operation: String,
    started: std::time::Instant,
    ended: std::time::Instant,
    /// DynamoDB's JSON request and response bodies (other services' are not kept: KMS
    /// answers carry plaintext keys), for tests that bill capacity units by item size.
    pub request: Option<serde_json::Value>,
    pub response: Option<serde_json::Value>,
}

#[derive(Clone, Copy, Debug)]
struct CallStarted(std::time::Instant);

impl aws_smithy_types::config_bag::Storable for CallStarted {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

/// A DynamoDB call's request and response bodies, parsed, as they went over the wire.
#[derive(Clone, Debug, Default)]
struct CallBodies {
    request: Option<serde_json::Value>,
    response: Option<serde_json::Value>,
}

impl aws_smithy_types::config_bag::Storable for CallBodies {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

fn is_dynamodb(cfg: &aws_smithy_types::config_bag::ConfigBag) -> bool {
    cfg.load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
        .is_some_and(|m| m.service().eq_ignore_ascii_case("dynamodb"))
}

fn parsed(body: &aws_smithy_types::body::SdkBody) -> Option<serde_json::Value> {
    body.bytes().and_then(|b| serde_json::from_slice(b).ok())
}

impl AwsCalls {
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The operations called, sorted by name.
    pub fn operations(&self) -> Vec<String> {
        let mut names: Vec<String> = self.lock().iter().map(|c| c.operation.clone()).collect();
        names.sort();
        names
    }

    /// Every call recorded, in the order they ended.
    pub fn calls(&self) -> Vec<AwsCall> {
        self.lock().clone()
    }

    /// The longest chain of calls each of which started after the one before it ended:
    /// the round trips a caller waits for one after another.
    pub fn sequential_depth(&self) -> usize {
        let mut calls = self.lock().clone();
        calls.sort_by_key(|c| c.started);
        let mut depth = vec![1usize; calls.len()];
        for i in 0..calls.len() {
            for j in 0..i {
                if calls[j].ended <= calls[i].started {
                    depth[i] = depth[i].max(depth[j] + 1);
                }
            }
        }
        depth.into_iter().max().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<AwsCall>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl aws_smithy_runtime_api::client::interceptors::Intercept for AwsCalls {
    fn name(&self) -> &'static str {
        "AwsCalls"
    }

    fn read_before_execution(
        &self,
        _: &aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        cfg.interceptor_state()
            .store_put(CallStarted(std::time::Instant::now()));
        Ok(())
    }

    fn read_before_transmit(
        &self,
        ctx: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        // DynamoDB's only: KMS answers carry plaintext keys, which a test has no need to keep.
        if is_dynamodb(cfg) {
            let request = parsed(ctx.request().body());
            cfg.interceptor_state().store_put(CallBodies {
                request,
                response: None,
            });
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        ctx: &aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef<'_>,
        _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        if let Some(bodies) = cfg.load::<CallBodies>().cloned() {
            let response = parsed(ctx.response().body());
            cfg.interceptor_state()
                .store_put(CallBodies { response, ..bodies });
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        _: &aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef<
            '_,
        >,
        _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let ended = std::time::Instant::now();
        let started = cfg.load::<CallStarted>().map_or(ended, |s| s.0);
        let operation = cfg
            .load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
            .map_or("unknown".to_owned(), |m| {
                format!("{}.{}", m.service(), m.name())
            });
        let bodies = cfg.load::<CallBodies>().cloned().unwrap_or_default();
        self.lock().push(AwsCall {
            operation,
            started,
            ended,
            request: bodies.request,
            response: bodies.response,
        });
        Ok(())
    }
}
