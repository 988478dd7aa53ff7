//! The model of `template.yaml`: its tables, functions and their events,
//! pipes and queues, as the emulator (which creates the tables), the local
//! stack (which runs the functions) and the drift tests read them.

use yaml_serde::Value;

/// The workspace's `template.yaml`, built in so the local stack and the
/// tests cannot read another copy.
pub const TEMPLATE_YAML: &str = include_str!("../../../template.yaml");

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template.yaml is not valid YAML: {0}")]
    Yaml(#[from] yaml_serde::Error),
    #[error("template.yaml: {0}")]
    Shape(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAttr {
    pub name: String,
    /// `S`, `N` or `B`.
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
    pub projection: String,
    pub non_key_attributes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub logical_id: String,
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
    pub indexes: Vec<Index>,
    pub ttl_attribute: Option<String>,
    pub stream_view: Option<String>,
}

/// What starts a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    Http {
        method: String,
        path: String,
        /// The route's authorizer: `AWS_IAM` or the name of one of the
        /// API's authorizers (None: open).
        auth: Option<String>,
    },
    Schedule {
        expression: String,
    },
    /// A DynamoDB stream of the table with this logical id.
    Stream {
        table: String,
        filters: Vec<String>,
    },
    /// An SQS queue with this logical id.
    Sqs {
        queue: String,
    },
    /// An EventBridge rule on the state changes of these alarms (logical
    /// ids).
    AlarmChange {
        alarms: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub logical_id: String,
    /// The function's `Handler`: which role the one binary plays in it.
    pub handler: String,
    /// The binary it deploys (`Metadata.BuildProperties.Binary`).
    pub binary: String,
    pub triggers: Vec<Trigger>,
}

/// An EventBridge pipe from a table's stream to an SQS queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipe {
    pub logical_id: String,
    /// Logical id of the table whose stream is the source.
    pub source_table: String,
    /// Logical id of the target queue.
    pub target_queue: String,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub root: Value,
    pub tables: Vec<Table>,
    pub functions: Vec<Function>,
    pub pipes: Vec<Pipe>,
    /// Logical ids of the SQS queues.
    pub queues: Vec<String>,
}

fn shape(msg: impl Into<String>) -> TemplateError {
    TemplateError::Shape(msg.into())
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// The logical id behind `!Ref X` or `!GetAtt X.Attr`.
fn referenced(v: &Value) -> Option<String> {
    match v {
        Value::Tagged(t) if t.tag == "!Ref" => t.value.as_str().map(str::to_string),
        Value::Tagged(t) if t.tag == "!GetAtt" => match &t.value {
            Value::String(s) => s.split('.').next().map(str::to_string),
            Value::Sequence(parts) => parts.first().and_then(Value::as_str).map(str::to_string),
            _ => None,
        },
        _ => None,
    }
}

impl Template {
    pub fn builtin() -> Result<Self, TemplateError> {
        Self::parse(TEMPLATE_YAML)
    }

    pub fn parse(yaml: &str) -> Result<Self, TemplateError> {
        let root: Value = yaml_serde::from_str(yaml)?;
        let resources = root
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| shape("no Resources"))?;
        let mut tables = Vec::new();
        let mut functions = Vec::new();
        let mut pipes = Vec::new();
        let mut queues = Vec::new();
        for (id, res) in resources {
            let id = id
                .as_str()
                .ok_or_else(|| shape("resource id is not a string"))?;
            match str_at(res, &["Type"]) {
                Some("AWS::DynamoDB::Table") => tables.push(parse_table(id, res)?),
                Some("AWS::Serverless::Function") => functions.push(parse_function(id, res)?),
                Some("AWS::Pipes::Pipe") => pipes.push(parse_pipe(id, res)?),
                Some("AWS::SQS::Queue") => queues.push(id.to_string()),
                _ => {}
            }
        }
        Ok(Template {
            root,
            tables,
            functions,
            pipes,
            queues,
        })
    }

    pub fn table(&self, logical_id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.logical_id == logical_id)
    }

    /// `(method, path, handler)` of every HTTP route.
    pub fn http_routes(&self) -> Vec<(String, String, String)> {
        self.functions
            .iter()
            .flat_map(|f| {
                f.triggers.iter().filter_map(move |t| match t {
                    Trigger::Http { method, path, .. } => {
                        Some((method.clone(), path.clone(), f.handler.clone()))
                    }
                    _ => None,
                })
            })
            .collect()
    }

    /// The `(method, path)` of every route behind `authorizer`
    /// (`AWS_IAM` for IAM authorization).
    pub fn routes_authorized_by(&self, authorizer: &str) -> Vec<(String, String)> {
        self.functions
            .iter()
            .flat_map(|f| f.triggers.iter())
            .filter_map(|t| match t {
                Trigger::Http {
                    method,
                    path,
                    auth: Some(a),
                } if a == authorizer => Some((method.clone(), path.clone())),
                _ => None,
            })
            .collect()
    }

    /// The DynamoDB permissions the template grants the function whose
    /// `Handler` is `handler`, as `(action, table, index)`: from its inline
    /// `Policies`, or from the role it names. A resource is a table's
    /// `!GetAtt T.Arn` or an index's `!Sub "${T.Arn}/index/I"`.
    pub fn dynamodb_grants(&self, handler: &str) -> Vec<(String, String, Option<String>)> {
        let Some((_, res)) = self
            .resources()
            .find(|(_, r)| str_at(r, &["Properties", "Handler"]) == Some(handler))
        else {
            return Vec::new();
        };
        let props = res.get("Properties").unwrap_or(&Value::Null);
        let mut statements = Vec::new();
        let policies = match props.get("Role").and_then(referenced) {
            Some(role) => self
                .resources()
                .find(|(id, _)| *id == role)
                .and_then(|(_, r)| r.get("Properties")?.get("Policies")?.as_sequence().cloned())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| p.get("PolicyDocument").cloned())
                .collect(),
            None => props
                .get("Policies")
                .and_then(Value::as_sequence)
                .cloned()
                .unwrap_or_default(),
        };
        for policy in policies {
            statements.extend(
                policy
                    .get("Statement")
                    .and_then(Value::as_sequence)
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        let mut grants = Vec::new();
        for st in statements {
            let actions = list(st.get("Action"));
            let resources: Vec<(String, Option<String>)> = match st.get("Resource") {
                Some(Value::Sequence(r)) => r.iter().filter_map(resource).collect(),
                Some(r) => resource(r).into_iter().collect(),
                None => Vec::new(),
            };
            for a in actions.iter().filter_map(|a| a.strip_prefix("dynamodb:")) {
                for (table, index) in &resources {
                    grants.push((a.to_string(), table.clone(), index.clone()));
                }
            }
        }
        grants
    }

    fn resources(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.root
            .get("Resources")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
    }

    /// Environment variables every function gets, as `(name, logical id)`
    /// for those set to `!Ref` a resource.
    pub fn global_env_refs(&self) -> Vec<(String, String)> {
        let vars = self
            .root
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("Environment"))
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping);
        vars.into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), referenced(v)?)))
            .collect()
    }
}

fn key_attr(props: &Value, schema: &Value, role: &str) -> Result<Option<KeyAttr>, TemplateError> {
    let Some(entry) = schema
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|k| str_at(k, &["KeyType"]) == Some(role))
    else {
        return Ok(None);
    };
    let name =
        str_at(entry, &["AttributeName"]).ok_or_else(|| shape("key without AttributeName"))?;
    let kind = props
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .find(|d| str_at(d, &["AttributeName"]) == Some(name))
        .and_then(|d| str_at(d, &["AttributeType"]))
        .ok_or_else(|| shape(format!("key attribute {name} has no AttributeDefinition")))?;
    Ok(Some(KeyAttr {
        name: name.to_string(),
        kind: kind.to_string(),
    }))
}

fn parse_table(id: &str, res: &Value) -> Result<Table, TemplateError> {
    let props = res
        .get("Properties")
        .ok_or_else(|| shape(format!("{id} has no Properties")))?;
    let schema = props
        .get("KeySchema")
        .ok_or_else(|| shape(format!("{id} has no KeySchema")))?;
    let hash =
        key_attr(props, schema, "HASH")?.ok_or_else(|| shape(format!("{id} has no HASH key")))?;
    let range = key_attr(props, schema, "RANGE")?;
    let mut indexes = Vec::new();
    for gsi in props
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let name = str_at(gsi, &["IndexName"])
            .ok_or_else(|| shape(format!("{id}: index without name")))?;
        let ks = gsi
            .get("KeySchema")
            .ok_or_else(|| shape(format!("{id}.{name}: no KeySchema")))?;
        indexes.push(Index {
            name: name.to_string(),
            hash: key_attr(props, ks, "HASH")?
                .ok_or_else(|| shape(format!("{id}.{name}: no HASH")))?,
            range: key_attr(props, ks, "RANGE")?,
            projection: str_at(gsi, &["Projection", "ProjectionType"])
                .unwrap_or("ALL")
                .to_string(),
            non_key_attributes: gsi
                .get("Projection")
                .and_then(|p| p.get("NonKeyAttributes"))
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect(),
        });
    }
    let ttl_attribute = props
        .get("TimeToLiveSpecification")
        .filter(|t| t.get("Enabled").and_then(Value::as_bool) == Some(true))
        .and_then(|t| str_at(t, &["AttributeName"]))
        .map(str::to_string);
    let stream_view = str_at(props, &["StreamSpecification", "StreamViewType"]).map(str::to_string);
    Ok(Table {
        logical_id: id.to_string(),
        hash,
        range,
        indexes,
        ttl_attribute,
        stream_view,
    })
}

/// A policy's action list, whether one string or a list.
fn list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// `(table, index)` of a policy resource naming a table or an index.
fn resource(v: &Value) -> Option<(String, Option<String>)> {
    match v {
        Value::Tagged(t) if t.tag == "!Sub" => {
            let text = t.value.as_str()?;
            let (table, rest) = text.strip_prefix("${")?.split_once(".Arn}")?;
            let index = rest.strip_prefix("/index/")?;
            Some((table.to_string(), Some(index.to_string())))
        }
        Value::Tagged(t) if t.tag == "!GetAtt" => {
            let text = t.value.as_str()?;
            let (table, attr) = text.split_once('.')?;
            (attr == "Arn").then(|| (table.to_string(), None))
        }
        _ => None,
    }
}

fn parse_pipe(id: &str, res: &Value) -> Result<Pipe, TemplateError> {
    let props = res
        .get("Properties")
        .ok_or_else(|| shape(format!("{id} has no Properties")))?;
    Ok(Pipe {
        logical_id: id.to_string(),
        source_table: props
            .get("Source")
            .and_then(referenced)
            .ok_or_else(|| shape(format!("{id}: Source is not a !GetAtt of a table stream")))?,
        target_queue: props
            .get("Target")
            .and_then(referenced)
            .ok_or_else(|| shape(format!("{id}: Target is not a !GetAtt of a queue")))?,
    })
}

fn parse_function(id: &str, res: &Value) -> Result<Function, TemplateError> {
    let binary = str_at(res, &["Metadata", "BuildProperties", "Binary"])
        .ok_or_else(|| shape(format!("{id} has no Metadata.BuildProperties.Binary")))?;
    let handler = str_at(res, &["Properties", "Handler"])
        .ok_or_else(|| shape(format!("{id} has no Handler")))?;
    let mut triggers = Vec::new();
    let events = res
        .get("Properties")
        .and_then(|p| p.get("Events"))
        .and_then(Value::as_mapping);
    for (_, ev) in events.into_iter().flatten() {
        let p = ev.get("Properties").unwrap_or(&Value::Null);
        let trigger = match str_at(ev, &["Type"]) {
            Some("HttpApi") => Trigger::Http {
                method: str_at(p, &["Method"])
                    .ok_or_else(|| shape(format!("{id}: route without Method")))?
                    .to_uppercase(),
                path: str_at(p, &["Path"])
                    .ok_or_else(|| shape(format!("{id}: route without Path")))?
                    .to_string(),
                auth: str_at(p, &["Auth", "Authorizer"]).map(str::to_string),
            },
            Some("Schedule") | Some("ScheduleV2") => Trigger::Schedule {
                expression: str_at(p, &["ScheduleExpression"])
                    .or_else(|| str_at(p, &["Schedule"]))
                    .unwrap_or_default()
                    .to_string(),
            },
            Some("DynamoDB") => Trigger::Stream {
                table: p
                    .get("Stream")
                    .and_then(referenced)
                    .ok_or_else(|| shape(format!("{id}: stream without !GetAtt")))?,
                filters: p
                    .get("FilterCriteria")
                    .and_then(|f| f.get("Filters"))
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .filter_map(|f| str_at(f, &["Pattern"]).map(str::to_string))
                    .collect(),
            },
            Some("SQS") => Trigger::Sqs {
                queue: p
                    .get("Queue")
                    .and_then(referenced)
                    .ok_or_else(|| shape(format!("{id}: SQS without !GetAtt")))?,
            },
            Some("EventBridgeRule") => Trigger::AlarmChange {
                alarms: p
                    .get("Pattern")
                    .and_then(|pat| pat.get("resources"))
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .filter_map(referenced)
                    .collect(),
            },
            other => return Err(shape(format!("{id}: unsupported event type {other:?}"))),
        };
        triggers.push(trigger);
    }
    Ok(Function {
        logical_id: id.to_string(),
        handler: handler.to_string(),
        binary: binary.to_string(),
        triggers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_template_parses() {
        let t = Template::builtin().unwrap();
        let q = t.table("QueueTable").unwrap();
        assert_eq!(q.hash.name, "pk");
        assert_eq!(q.ttl_attribute.as_deref(), Some("ttl"));
        assert_eq!(q.indexes[0].name, "waiting");
        assert_eq!(q.indexes[0].range.as_ref().unwrap().kind, "N");
        assert!(t
            .http_routes()
            .iter()
            .any(|(m, p, b)| m == "GET" && p == "/concerts" && b == "get-concerts"));
        assert!(t
            .global_env_refs()
            .contains(&("CATALOG_TABLE".into(), "CatalogTable".into())));
    }
}
