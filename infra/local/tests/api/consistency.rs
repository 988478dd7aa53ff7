//! The template is the single definition of tables, routes and functions:
//! these tests fail as soon as the local stack, the workspace or the
//! fixtures could drift from it.

use emulator::{Emulator, Template};
use sam::Trigger;
use shared::config::TABLE_ENV;
use shared::jobs::{QueueConsumer, Scheduled, StreamConsumer};
use shared::Endpoint;
use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[tokio::test]
async fn local_tables_are_the_template_tables() {
    let template = Template::builtin().unwrap();
    let emu = Emulator::memory().unwrap();
    emu.create_tables(&template).await.unwrap();
    // Creating again is a no-op (restart of the local stack).
    emu.create_tables(&template).await.unwrap();
    let client = emu.client();
    let live: BTreeSet<String> = client
        .list_tables()
        .send()
        .await
        .unwrap()
        .table_names()
        .iter()
        .cloned()
        .collect();
    let declared: BTreeSet<String> = template
        .tables
        .iter()
        .map(|t| t.logical_id.clone())
        .collect();
    assert_eq!(live, declared);
    for t in &template.tables {
        let mut described = emulator::tables::describe(&client, &t.logical_id)
            .await
            .unwrap();
        let mut expected = t.clone();
        described.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        expected.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(
            described, expected,
            "table {} differs from template.yaml",
            t.logical_id
        );
    }
}

#[test]
fn functions_read_every_table_from_the_template() {
    let template = Template::builtin().unwrap();
    let refs = template.global_env_refs();
    for var in TABLE_ENV {
        let logical = shared::settings::default_of(var);
        assert!(
            refs.contains(&(var.to_string(), logical.to_string())),
            "Globals must set {var}: !Ref {logical}"
        );
        assert!(
            template.table(logical).is_some(),
            "{logical} is not a table of the template"
        );
    }
    assert_eq!(
        template.tables.len(),
        TABLE_ENV.len(),
        "a template table has no setting"
    );
}

#[test]
fn routes_and_functions_match_the_workspace() {
    let template = Template::builtin().unwrap();
    let routes = template.http_routes();
    // Every endpoint has exactly one route, every route a handler.
    for e in shared::endpoints::ENDPOINTS {
        let n = routes.iter().filter(|(_, _, b)| b == e.name()).count();
        assert_eq!(n, 1, "{} must have exactly one route", e.name());
    }
    for (m, p, b) in &routes {
        assert!(
            Endpoint::by_name(b).is_some(),
            "{m} {p} routes to unknown {b}"
        );
    }
    let local = local::gateway::routes(&template).unwrap();
    assert_eq!(local.len(), routes.len());

    // Scheduled functions are the workspace's scheduled jobs.
    let scheduled: BTreeSet<&str> = template
        .functions
        .iter()
        .filter(|f| {
            f.triggers
                .iter()
                .any(|t| matches!(t, Trigger::Schedule { .. }))
        })
        .map(|f| f.handler.as_str())
        .collect();
    let jobs: BTreeSet<&str> = Scheduled::ALL.iter().map(|j| j.name()).collect();
    assert_eq!(scheduled, jobs);

    // Stream-fed functions are the workspace's stream consumers, on tables
    // that have a stream.
    let streamed: BTreeSet<&str> = template
        .functions
        .iter()
        .filter(|f| {
            f.triggers.iter().any(|t| match t {
                Trigger::Stream { table, .. } => {
                    assert!(
                        template
                            .table(table)
                            .is_some_and(|t| t.stream_view.is_some()),
                        "{table} has no stream"
                    );
                    true
                }
                _ => false,
            })
        })
        .map(|f| f.handler.as_str())
        .collect();
    let consumers: BTreeSet<&str> = StreamConsumer::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(streamed, consumers);

    // Queue-fed functions are the workspace's queue consumers, each on a
    // queue of the template that a pipe fills from a table with a stream.
    let queued: BTreeSet<&str> = template
        .functions
        .iter()
        .filter(|f| {
            f.triggers.iter().any(|t| match t {
                Trigger::Sqs { queue } => {
                    assert!(
                        template.queues.contains(queue),
                        "{queue} is not a queue of the template"
                    );
                    assert!(
                        template.pipes.iter().any(|p| &p.target_queue == queue),
                        "nothing fills {queue}"
                    );
                    true
                }
                _ => false,
            })
        })
        .map(|f| f.handler.as_str())
        .collect();
    let queue_consumers: BTreeSet<&str> = QueueConsumer::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(queued, queue_consumers);
    for pipe in &template.pipes {
        assert!(template
            .table(&pipe.source_table)
            .is_some_and(|t| t.stream_view.is_some()));
        assert!(template.queues.contains(&pipe.target_queue));
    }

    // Every function deploys the workspace's one binary and names a role
    // it plays; every role has a function and a fixture.
    let functions: BTreeSet<String> = template
        .functions
        .iter()
        .map(|f| f.handler.clone())
        .collect();
    let roles: BTreeSet<String> = shared::lambda::names().map(str::to_string).collect();
    assert_eq!(roles, functions, "shared::lambda and template.yaml differ");
    for f in &template.functions {
        assert_eq!(
            f.binary,
            shared::lambda::BINARY,
            "{} must deploy the one binary",
            f.logical_id
        );
    }
    for f in &functions {
        assert!(
            root().join(format!("events/{f}.json")).is_file(),
            "events/{f}.json is missing"
        );
        let function = template.functions.iter().find(|t| &t.handler == f);
        let Some(function) = function.filter(|t| t.triggers.is_empty()) else {
            continue;
        };
        // No event source: another function starts it, by name, and may.
        let id = &function.logical_id;
        let starter = template.root["Resources"]
            .as_mapping()
            .unwrap()
            .iter()
            .find(|(_, r)| {
                let env = yaml_serde::to_string(&r["Properties"]["Environment"]).unwrap();
                env.contains(&format!("!Ref {id}"))
            });
        let (starter, resource) = starter.unwrap_or_else(|| panic!("{f} has no trigger"));
        let policies = yaml_serde::to_string(&resource["Properties"]["Policies"]).unwrap();
        assert!(
            policies.contains("lambda:InvokeFunction")
                && policies.contains(&format!("!GetAtt {id}.Arn")),
            "{starter:?} starts {id} without leave to invoke it"
        );
    }
}

#[test]
fn the_openapi_document_lists_exactly_the_template_routes() {
    let template = Template::builtin().unwrap();
    let doc: serde_json::Value = serde_json::from_str(&shared::openapi::json()).unwrap();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = template
        .http_routes()
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect();
    assert_eq!(documented, routed);
}

/// How the README's configuration table shows a setting.
fn readme_row(s: &shared::settings::Setting) -> String {
    use shared::settings::InTemplate;
    let mut default = match s.default {
        "" => "—".to_string(),
        d => format!("`{d}`"),
    };
    match s.template {
        InTemplate::Parameter(_, in_template) if in_template != s.default => {
            default.push_str(&format!(" (template: {in_template})"));
        }
        InTemplate::Value(value) => default.push_str(&format!(" (template: `{value}`)")),
        InTemplate::RefOf(resource) => default.push_str(&format!(" (template: `!Ref {resource}`)")),
        InTemplate::Function(f) => default.push_str(&format!(" (template: set on `{f}`)")),
        _ => {}
    }
    format!("| `{}` | {default} | {} |", s.name, s.meaning)
}

#[test]
fn the_readme_lists_every_setting_as_defined() {
    use shared::settings::SETTINGS;
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let rows: Vec<&str> = readme
        .lines()
        .skip_while(|l| *l != "## Configuration")
        .take_while(|l| !l.starts_with("## Layout"))
        .filter(|l| l.starts_with("| `"))
        .collect();
    let expected: Vec<String> = SETTINGS.iter().map(readme_row).collect();
    assert_eq!(
        rows, expected,
        "README's configuration table differs from shared::settings"
    );
}

#[test]
fn the_template_sets_every_service_setting_as_defined() {
    use shared::settings::{InTemplate, Scope, SETTINGS};
    let template = Template::builtin().unwrap();
    let root = &template.root;
    let vars = root["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .unwrap();
    let text = |v: &yaml_serde::Value| {
        v.as_str()
            .map(str::to_string)
            .or_else(|| v.as_u64().map(|n| n.to_string()))
    };
    let refs = template.global_env_refs();
    for s in SETTINGS {
        let var = vars
            .iter()
            .find(|(k, _)| k.as_str() == Some(s.name))
            .map(|(_, v)| v);
        let reference = refs
            .iter()
            .find(|(k, _)| k == s.name)
            .map(|(_, r)| r.as_str());
        match (s.scope, s.template) {
            (Scope::Service, InTemplate::Parameter(param, default)) => {
                assert_eq!(
                    reference,
                    Some(param),
                    "Globals must set {}: !Ref {param}",
                    s.name
                );
                let declared = text(&root["Parameters"][param]["Default"]);
                assert_eq!(
                    declared.as_deref(),
                    Some(default),
                    "parameter {param}'s default"
                );
            }
            (Scope::Service, InTemplate::Resource) => {
                assert_eq!(
                    reference,
                    Some(s.default),
                    "Globals must set {}: !Ref {}",
                    s.name,
                    s.default
                );
            }
            (Scope::Service, InTemplate::RefOf(resource)) => {
                assert_eq!(
                    reference,
                    Some(resource),
                    "Globals must set {}: !Ref {resource}",
                    s.name
                );
            }
            (Scope::Service, InTemplate::Value(value)) => {
                assert_eq!(
                    var.and_then(text).as_deref(),
                    Some(value),
                    "Globals {}",
                    s.name
                );
            }
            (Scope::Service, InTemplate::Literal) => {
                assert_eq!(
                    var.and_then(text).as_deref(),
                    Some(s.default),
                    "Globals {}",
                    s.name
                );
            }
            (Scope::Service, InTemplate::Function(f)) => {
                assert!(var.is_none(), "{} is set on {f} only", s.name);
                let own = &root["Resources"][f]["Properties"]["Environment"]["Variables"][s.name];
                assert!(!own.is_null(), "{f} must set {}", s.name);
            }
            _ => assert!(
                var.is_none(),
                "{} is not for the template's Globals",
                s.name
            ),
        }
    }
    for (k, _) in vars {
        let name = k.as_str().unwrap_or_default();
        assert!(
            shared::settings::setting(name).is_some(),
            "Globals sets {name}, which is no setting"
        );
    }
}

/// On-demand tables start far below a flash crowd's peak: every table and
/// index of the sale path can be pre-warmed before an on-sale, each to
/// its own `Warm*` values ("writes,reads"), whose defaults stay within a
/// new account's 40,000-unit table quota so `PreWarmTables=true` deploys.
#[test]
fn every_sale_path_table_and_index_can_be_pre_warmed_within_the_quota() {
    let template = Template::builtin().unwrap();
    let resources = template.root["Resources"].as_mapping().unwrap();
    let params = &template.root["Parameters"];
    let mut tables = 0;
    for (name, r) in resources {
        if r["Type"].as_str() != Some("AWS::DynamoDB::Table") {
            continue;
        }
        let props = &r["Properties"];
        // The organiser's jobs table sees no crowd.
        if name.as_str() == Some("JobsTable") {
            assert!(props["WarmThroughput"].is_null());
            continue;
        }
        tables += 1;
        let warm = |v: &yaml_serde::Value| {
            let text = format!("{v:?}");
            assert!(text.contains("WarmTables"), "{name:?}: {text}");
            let p = params
                .as_mapping()
                .unwrap()
                .iter()
                .find(|(p, _)| {
                    text.contains(&format!("\"{}\"", p.as_str().unwrap()))
                        && p.as_str().unwrap().starts_with("Warm")
                })
                .unwrap_or_else(|| panic!("{name:?} warms to no parameter: {text}"));
            let default = p.1["Default"].as_str().unwrap();
            let units: Vec<u64> = default.split(',').map(|u| u.parse().unwrap()).collect();
            assert_eq!(units.len(), 2, "{default}");
            assert!(units.iter().all(|u| *u <= 40_000), "{:?} = {default}", p.0);
        };
        warm(&props["WarmThroughput"]);
        for index in props["GlobalSecondaryIndexes"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            warm(&index["WarmThroughput"]);
        }
    }
    assert_eq!(tables, TABLE_ENV.len() - 1);
}

/// An alarm that cannot reach its topic notifies nobody, and CloudWatch
/// can publish to an encrypted topic only with a key whose policy lets it
/// (never the AWS-managed `alias/aws/sns`): every alarm notifies the
/// alarm topic, whose key the template owns and opens to CloudWatch.
#[test]
fn every_alarm_can_notify() {
    let template = Template::builtin().unwrap();
    let resources = template.root["Resources"].as_mapping().unwrap();
    let resource = |name: &str| &template.root["Resources"][name];
    let mut alarms = 0;
    for (name, r) in resources {
        if r["Type"].as_str() != Some("AWS::CloudWatch::Alarm") {
            continue;
        }
        alarms += 1;
        let actions = format!("{:?}", r["Properties"]["AlarmActions"]);
        assert!(
            actions.contains("AlarmTopic"),
            "{name:?} notifies {actions}"
        );
    }
    assert!(alarms > 10);
    let key = &resource("AlarmTopic")["Properties"]["KmsMasterKeyId"];
    let key_name = format!("{key:?}");
    assert!(
        key_name.contains("AlarmTopicKey"),
        "the alarm topic's key: {key_name}"
    );
    let policy = &resource("AlarmTopicKey")["Properties"]["KeyPolicy"]["Statement"];
    let opens_to_cloudwatch = policy.as_sequence().unwrap().iter().any(|s| {
        let actions = format!("{:?}", s["Action"]);
        s["Effect"].as_str() == Some("Allow")
            && s["Principal"]["Service"].as_str() == Some("cloudwatch.amazonaws.com")
            && actions.contains("kms:Decrypt")
            && actions.contains("kms:GenerateDataKey")
    });
    assert!(
        opens_to_cloudwatch,
        "CloudWatch cannot use the alarm topic's key"
    );
}

/// Behind CloudFront every function checks the origin secret — except
/// where no request can carry it: the organiser's IAM-signed routes (a
/// signature does not survive CloudFront's `Host`) and the provider's
/// webhook. The route table's reach follows the template's authorizers.
#[test]
fn the_origin_secret_is_asked_only_where_it_can_be_sent() {
    use shared::endpoints::Reach;
    let template = Template::builtin().unwrap();
    let mut signed = 0;
    for f in &template.functions {
        for t in &f.triggers {
            let Trigger::Http { method, path, auth } = t else {
                continue;
            };
            let endpoint = Endpoint::by_name(&f.handler).unwrap();
            let expected = match (auth.as_deref(), f.handler.as_str()) {
                (Some("AWS_IAM"), _) => Reach::Signed,
                (_, "post-payment-webhook") => Reach::Direct,
                _ => Reach::ThroughEdge,
            };
            assert_eq!(endpoint.reach(), expected, "{method} {path}");
            signed += usize::from(expected == Reach::Signed);
        }
    }
    assert!(signed >= 8, "{signed} organiser routes");
}

/// Two stacks in one account (staging, production) keep their own series:
/// every alarm and dashboard line on a business metric names its stack's
/// `service`, as the functions' metrics and the access log's count do; and
/// no log level can drop the metric lines (Lambda files them as INFO).
#[test]
fn every_business_metric_names_its_stack_and_no_log_level_hides_one() {
    let template = Template::builtin().unwrap();
    let resources = template.root["Resources"].as_mapping().unwrap();
    let mut alarms = 0;
    for (name, r) in resources {
        let p = &r["Properties"];
        if p["Namespace"].as_str() == Some(shared::counters::NAMESPACE) {
            alarms += 1;
            let dims = format!("{:?}", p["Dimensions"]);
            assert!(
                dims.contains("\"service\"") && dims.contains("AWS::StackName"),
                "{name:?} reads every stack's {:?}: {dims}",
                p["MetricName"]
            );
        }
        if r["Type"].as_str() == Some("AWS::Logs::MetricFilter") {
            let dims = format!("{:?}", p["MetricTransformations"][0]["Dimensions"]);
            assert!(dims.contains("$.service"), "{name:?}: {dims}");
        }
    }
    assert!(alarms >= 6);
    let format = format!(
        "{:?}",
        template.root["Resources"]["HttpApi"]["Properties"]["AccessLogSettings"]["Format"]
    );
    assert!(
        format.contains("\\\"service\\\":\\\"${AWS::StackName}"),
        "{format}"
    );
    let body = &template.root["Resources"]["OnSaleDashboard"]["Properties"]["DashboardBody"];
    let dashboard = format!("{body:?}");
    let lines: Vec<&str> = dashboard.split("[\\\"TicketSale\\\"").skip(1).collect();
    assert!(lines.len() >= 3, "{dashboard}");
    for line in lines {
        let until = line.find(']').unwrap_or(line.len());
        assert!(
            line[..until].contains("service"),
            "dashboard line: {}",
            &line[..until]
        );
    }
    let searches: Vec<&str> = dashboard.split("SEARCH(").skip(1).collect();
    assert_eq!(searches.len(), 2, "{dashboard}");
    for search in searches {
        assert!(search.contains("service="), "{search}");
    }
    let levels = format!(
        "{:?}",
        template.root["Parameters"]["LogLevel"]["AllowedValues"]
    );
    for above_info in ["WARN", "ERROR", "FATAL"] {
        assert!(
            !levels.contains(above_info),
            "LogLevel allows {above_info}: {levels}"
        );
    }
    let globals = format!("{:?}", template.root["Globals"]["Function"]["Environment"]);
    assert!(
        !globals.contains("RUST_LOG"),
        "RUST_LOG would override LogLevel"
    );
}

/// A browser app on another origin can call the API once its origin is
/// listed (`AllowedOrigins`), with every header the API reads.
#[test]
fn browsers_on_the_allowed_origins_may_send_what_the_api_reads() {
    let template = Template::builtin().unwrap();
    let cors = format!(
        "{:?}",
        template.root["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]
    );
    assert!(cors.contains("\"AllowedOrigins\""), "{cors}");
    for header in [
        "authorization",
        "content-type",
        shared::handlers::idempotency::HEADER,
    ] {
        assert!(cors.contains(&format!("\"{header}\"")), "{header}: {cors}");
    }
    assert!(
        cors.contains("\"retry-after\""),
        "busy answers' Retry-After: {cors}"
    );
}

/// A new version of a sale-path function takes a tenth of the traffic
/// first and is rolled back by the error alarms; warm instances for an
/// on-sale are a parameter, none by default.
#[test]
fn the_sale_path_is_released_by_canary_and_rolled_back_by_its_alarms() {
    let template = Template::builtin().unwrap();
    let resources = &template.root["Resources"];
    let sale_path = [
        "post-queue",
        "get-queue",
        "post-reservation",
        "post-payment",
    ];
    let mut released = 0;
    for (name, r) in resources.as_mapping().unwrap() {
        let p = &r["Properties"];
        if !sale_path.contains(&p["Handler"].as_str().unwrap_or_default()) {
            continue;
        }
        released += 1;
        assert_eq!(p["AutoPublishAlias"].as_str(), Some("live"), "{name:?}");
        let preference = &p["DeploymentPreference"];
        assert!(format!("{:?}", preference["Type"]).contains("DeploymentStrategy"));
        let alarms = format!("{:?}", preference["Alarms"]);
        for alarm in ["ServerErrorsAlarm", "SalePathErrorsAlarm"] {
            assert!(
                alarms.contains(alarm),
                "{name:?} is not rolled back by {alarm}"
            );
            assert!(resources[alarm]["Type"].as_str() == Some("AWS::CloudWatch::Alarm"));
        }
        let provisioned = format!("{:?}", p["ProvisionedConcurrencyConfig"]);
        assert!(
            provisioned.contains("AWS::NoValue"),
            "{name:?}: {provisioned}"
        );
    }
    assert_eq!(released, sale_path.len());
    let strategy = &template.root["Parameters"]["DeploymentStrategy"]["Default"];
    assert_eq!(strategy.as_str(), Some("Canary10Percent5Minutes"));
    let provisioned = &template.root["Parameters"]["SalePathProvisionedConcurrency"]["Default"];
    assert_eq!(provisioned.as_str(), Some(""));
}

/// A new account's concurrency quota (10) leaves nothing to reserve:
/// Lambda refuses the whole deploy if any function reserves concurrency
/// by default. Reservations are parameters whose default is none.
#[test]
fn no_function_reserves_concurrency_by_default() {
    let template = Template::builtin().unwrap();
    let resources = template.root["Resources"].as_mapping().unwrap();
    let mut checked = 0;
    for (name, r) in resources {
        if r["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        checked += 1;
        let reserved = &r["Properties"]["ReservedConcurrentExecutions"];
        if reserved.is_null() {
            continue;
        }
        // Only `!If [Reserve…, !Ref <Parameter>, !Ref AWS::NoValue]`, with
        // the parameter empty by default.
        let text = format!("{reserved:?}");
        let parameter = template.root["Parameters"]
            .as_mapping()
            .unwrap()
            .iter()
            .find(|(p, _)| text.contains(&format!("\"{}\"", p.as_str().unwrap())));
        let Some((p, def)) = parameter else {
            panic!("{name:?} reserves concurrency: {text}");
        };
        assert!(text.contains("AWS::NoValue"), "{name:?}: {text}");
        assert_eq!(def["Default"].as_str(), Some(""), "{name:?}: {p:?}");
    }
    assert!(checked > 20);
}

/// A scheduled function's missed minute is made up by the next one: the
/// scheduler's asynchronous invocation is never retried late.
#[test]
fn scheduled_functions_are_not_retried_late() {
    let template = Template::builtin().unwrap();
    let resources = template.root["Resources"].as_mapping().unwrap();
    let mut scheduled = 0;
    for (name, r) in resources {
        let events = format!("{:?}", r["Properties"]["Events"]);
        if !events.contains("ScheduleV2") {
            continue;
        }
        scheduled += 1;
        let config = &r["Properties"]["EventInvokeConfig"];
        assert_eq!(config["MaximumRetryAttempts"].as_u64(), Some(0), "{name:?}");
        assert!(
            config["MaximumEventAgeInSeconds"]
                .as_u64()
                .is_some_and(|s| s <= 60),
            "{name:?}"
        );
    }
    assert_eq!(scheduled, 2, "the activator and reconciliation");
}

/// The seats-left consumer cannot take the sale path's concurrency, and
/// API Gateway's own throttling (which no function sees) raises an alarm.
#[test]
fn background_work_is_capped_and_gateway_throttles_are_seen() {
    let template = Template::builtin().unwrap();
    let r = &template.root["Resources"];
    let sqs = &r["AvailabilityFunction"]["Properties"]["Events"]["ReservationEvents"]["Properties"];
    assert!(sqs["ScalingConfig"]["MaximumConcurrency"]
        .as_u64()
        .is_some_and(|n| (2..=10).contains(&n)));
    let filter = &r["ApiThrottledMetricFilter"]["Properties"];
    assert!(format!("{:?}", filter["LogGroupName"]).contains("ApiAccessLogGroup"));
    assert!(filter["FilterPattern"].as_str().unwrap().contains("429"));
    let metric = filter["MetricTransformations"][0]["MetricName"]
        .as_str()
        .unwrap();
    assert_eq!(
        r["ApiThrottledAlarm"]["Properties"]["MetricName"].as_str(),
        Some(metric)
    );
}

/// The web app (`WebApp`): its files readable only through its own
/// distribution, its origin allowed to call the API, Cognito's hosted
/// page sending fans back to it, and a `config.json` with what the app
/// reads at start (the same keys the local stack serves).
#[test]
fn the_web_app_is_read_only_through_its_distribution_and_may_call_the_api() {
    let template = Template::builtin().unwrap();
    let r = &template.root["Resources"];
    let block = &r["WebBucket"]["Properties"]["PublicAccessBlockConfiguration"];
    for setting in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(block[setting].as_bool(), Some(true), "{setting}");
    }
    let policy = format!("{:?}", r["WebBucketPolicy"]["Properties"]["PolicyDocument"]);
    for part in [
        "cloudfront.amazonaws.com",
        "AWS:SourceArn",
        "${WebDistribution}",
    ] {
        assert!(
            policy.contains(part),
            "bucket policy lacks {part}: {policy}"
        );
    }
    let origins = &r["WebDistribution"]["Properties"]["DistributionConfig"]["Origins"];
    assert!(format!("{:?}", origins[0]["OriginAccessControlId"]).contains("WebOriginAccessControl"));
    let web_origin = "https://${WebDistribution.DomainName}";
    let cors = format!("{:?}", r["HttpApi"]["Properties"]["CorsConfiguration"]);
    assert!(cors.contains(web_origin), "{cors}");
    let client = &r["UserPoolClient"]["Properties"];
    for urls in ["CallbackURLs", "LogoutURLs"] {
        assert!(format!("{:?}", client[urls]).contains(web_origin), "{urls}");
    }
    assert!(format!("{:?}", client["AllowedOAuthFlows"]).contains("code"));
    assert_eq!(
        client["GenerateSecret"].as_bool(),
        Some(false),
        "PKCE needs a public client"
    );

    // The output's JSON with every ${…} filled in parses with the app's keys.
    let output = format!("{:?}", template.root["Outputs"]["WebAppConfig"]["Value"]);
    let start = output.find("{\\\"apiUrl").expect("the config's JSON");
    let raw = &output[start..];
    let raw = &raw[..raw.find("}}\"").expect("its end") + 2];
    let mut json = raw.replace("\\\"", "\"");
    while let Some(at) = json.find("${") {
        let end = at + json[at..].find('}').unwrap();
        json.replace_range(at..=end, "x");
    }
    let config: serde_json::Value = serde_json::from_str(&json).expect(&json);
    let local = local::webapp::config_json(&shared::config::Config::default());
    for key in ["apiUrl", "auth", "payment"] {
        assert!(
            config.get(key).is_some() && local.get(key).is_some(),
            "{key}"
        );
    }
    assert_eq!(config["auth"], "cognito");
    for key in ["domain", "clientId"] {
        assert!(config["cognito"][key].is_string(), "cognito.{key}");
    }
    for key in ["provider", "clientKey"] {
        assert!(config["payment"][key].is_string() && local["payment"][key].is_string());
    }
}
