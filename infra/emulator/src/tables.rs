//! `CreateTable` and `UpdateTimeToLive` calls built from the template, and
//! the reverse view used by the drift test.

use crate::EmulatorError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use sam::{Index, KeyAttr, Table, Template};

fn err(table: &str, e: impl std::fmt::Debug) -> EmulatorError {
    EmulatorError::CreateTable {
        table: table.to_string(),
        message: format!("{e:?}"),
    }
}

fn key_schema(
    table: &str,
    hash: &KeyAttr,
    range: &Option<KeyAttr>,
) -> Result<Vec<KeySchemaElement>, EmulatorError> {
    let mut out = vec![KeySchemaElement::builder()
        .attribute_name(&hash.name)
        .key_type(KeyType::Hash)
        .build()
        .map_err(|e| err(table, e))?];
    if let Some(r) = range {
        out.push(
            KeySchemaElement::builder()
                .attribute_name(&r.name)
                .key_type(KeyType::Range)
                .build()
                .map_err(|e| err(table, e))?,
        );
    }
    Ok(out)
}

fn definitions(t: &Table) -> Vec<&KeyAttr> {
    let mut all: Vec<&KeyAttr> = vec![&t.hash];
    all.extend(t.range.iter());
    for i in &t.indexes {
        all.push(&i.hash);
        all.extend(i.range.iter());
    }
    let mut seen = std::collections::HashSet::new();
    all.retain(|a| seen.insert(a.name.clone()));
    all
}

fn gsi(table: &str, i: &Index) -> Result<GlobalSecondaryIndex, EmulatorError> {
    GlobalSecondaryIndex::builder()
        .index_name(&i.name)
        .set_key_schema(Some(key_schema(table, &i.hash, &i.range)?))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::from(i.projection.as_str()))
                .set_non_key_attributes(
                    (!i.non_key_attributes.is_empty()).then(|| i.non_key_attributes.clone()),
                )
                .build(),
        )
        .build()
        .map_err(|e| err(table, e))
}

/// Creates `t` under its logical id unless a table of that name exists.
pub async fn create(client: &Client, t: &Table) -> Result<(), EmulatorError> {
    let name = &t.logical_id;
    let exists = client
        .list_tables()
        .send()
        .await
        .map_err(|e| err(name, e))?
        .table_names()
        .contains(name);
    if exists {
        return Ok(());
    }
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(name, &t.hash, &t.range)?));
    for a in definitions(t) {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(&a.name)
                .attribute_type(ScalarAttributeType::from(a.kind.as_str()))
                .build()
                .map_err(|e| err(name, e))?,
        );
    }
    for i in &t.indexes {
        req = req.global_secondary_indexes(gsi(name, i)?);
    }
    if let Some(view) = &t.stream_view {
        req = req.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view.as_str()))
                .build()
                .map_err(|e| err(name, e))?,
        );
    }
    req.send().await.map_err(|e| err(name, e))?;
    if let Some(attr) = &t.ttl_attribute {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(attr)
                    .enabled(true)
                    .build()
                    .map_err(|e| err(name, e))?,
            )
            .send()
            .await
            .map_err(|e| err(name, e))?;
    }
    Ok(())
}

pub async fn create_all(client: &Client, template: &Template) -> Result<(), EmulatorError> {
    for t in &template.tables {
        create(client, t).await?;
    }
    Ok(())
}

/// Reads a live table back into the template's terms, so a test can
/// compare what exists with what the template declares.
pub async fn describe(client: &Client, name: &str) -> Result<Table, EmulatorError> {
    let d = client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .map_err(|e| err(name, e))?;
    let table = d.table.ok_or_else(|| err(name, "no description"))?;
    let kind_of = |attr: &str| {
        table
            .attribute_definitions()
            .iter()
            .find(|a| a.attribute_name() == attr)
            .map(|a| a.attribute_type().as_str().to_string())
            .unwrap_or_default()
    };
    let keys = |schema: &[KeySchemaElement]| {
        let pick = |kt: KeyType| {
            schema
                .iter()
                .find(|k| *k.key_type() == kt)
                .map(|k| KeyAttr {
                    name: k.attribute_name().to_string(),
                    kind: kind_of(k.attribute_name()),
                })
        };
        (pick(KeyType::Hash), pick(KeyType::Range))
    };
    let (hash, range) = keys(table.key_schema());
    let indexes = table
        .global_secondary_indexes()
        .iter()
        .filter_map(|g| {
            let (h, r) = keys(g.key_schema());
            Some(Index {
                name: g.index_name()?.to_string(),
                hash: h?,
                range: r,
                projection: g
                    .projection()
                    .and_then(|p| p.projection_type())
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "ALL".into()),
                non_key_attributes: g
                    .projection()
                    .map(|p| p.non_key_attributes().to_vec())
                    .unwrap_or_default(),
            })
        })
        .collect();
    let ttl = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(|e| err(name, e))?;
    let ttl_attribute = ttl
        .time_to_live_description()
        .filter(|t| t.time_to_live_status().map(|s| s.as_str()) == Some("ENABLED"))
        .and_then(|t| t.attribute_name())
        .map(str::to_string);
    let stream_view = table
        .stream_specification()
        .filter(|s| s.stream_enabled())
        .and_then(|s| s.stream_view_type())
        .map(|v| v.as_str().to_string());
    Ok(Table {
        logical_id: name.to_string(),
        hash: hash.ok_or_else(|| err(name, "no hash key"))?,
        range,
        indexes,
        ttl_attribute,
        stream_view,
    })
}
