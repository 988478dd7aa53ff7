//! The local stand-in for Lambda's DynamoDB event source: reads a table's
//! stream through dynoxide and hands records over exactly as Lambda would
//! deliver them (the same JSON shape, user identity included).

use crate::Error;
use aws_lambda_events::event::dynamodb::EventRecord;
use emulator::dynoxide::actions::{describe_stream, get_records, get_shard_iterator, list_streams};
use emulator::Database;

/// Follows the single shard of one table's stream.
pub struct StreamReader {
    db: Database,
    table: String,
    iterator: Option<String>,
    /// Last sequence number handed out and not given back.
    last_sequence: Option<String>,
}

impl StreamReader {
    pub fn new(db: Database, table: &str) -> Self {
        StreamReader {
            db,
            table: table.to_string(),
            iterator: None,
            last_sequence: None,
        }
    }

    /// Starts after `sequence` instead of at the oldest record.
    pub fn resume_after(mut self, sequence: Option<String>) -> Self {
        self.last_sequence = sequence;
        self
    }

    pub fn last_sequence(&self) -> Option<&str> {
        self.last_sequence.as_deref()
    }

    /// The table whose stream this reads.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// This stream's failure to do something, as the stack's error.
    fn failed(&self, detail: impl std::fmt::Display) -> Error {
        Error::Stream {
            table: self.table.clone(),
            detail: detail.to_string(),
        }
    }

    fn open_iterator(&self) -> Result<Option<String>, Error> {
        let e = |e: emulator::dynoxide::DynoxideError| self.failed(e);
        let streams = self
            .db
            .list_streams(list_streams::ListStreamsRequest {
                table_name: Some(self.table.clone()),
                ..Default::default()
            })
            .map_err(e)?;
        let Some(stream) = streams.streams.into_iter().next() else {
            return Ok(None);
        };
        let described = self
            .db
            .describe_stream(describe_stream::DescribeStreamRequest {
                stream_arn: stream.stream_arn.clone(),
                ..Default::default()
            })
            .map_err(e)?;
        let Some(shard) = described.stream_description.shards.into_iter().next() else {
            return Ok(None);
        };
        let (kind, sequence) = match &self.last_sequence {
            Some(seq) => ("AFTER_SEQUENCE_NUMBER", Some(seq.clone())),
            None => ("TRIM_HORIZON", None),
        };
        let it = self
            .db
            .get_shard_iterator(get_shard_iterator::GetShardIteratorRequest {
                stream_arn: stream.stream_arn,
                shard_id: shard.shard_id,
                shard_iterator_type: kind.to_string(),
                sequence_number: sequence,
            })
            .map_err(e)?;
        Ok(it.shard_iterator)
    }

    /// Records written since the last call, oldest first, at most `limit`.
    pub fn next_batch(&mut self, limit: usize) -> Result<Vec<EventRecord>, Error> {
        if self.iterator.is_none() {
            self.iterator = self.open_iterator()?;
        }
        let Some(iterator) = self.iterator.clone() else {
            return Ok(Vec::new());
        };
        let out = self
            .db
            .get_records(get_records::GetRecordsRequest {
                shard_iterator: iterator,
                limit: Some(limit),
            })
            .map_err(|e| self.failed(e))?;
        self.iterator = out.next_shard_iterator.clone();
        // Through JSON on purpose: this is the wire form Lambda delivers.
        let json = serde_json::to_value(&out.records).map_err(|e| self.failed(e))?;
        let records: Vec<EventRecord> =
            serde_json::from_value(json).map_err(|e| self.failed(format!("a record: {e}")))?;
        if let Some(seq) = records
            .last()
            .and_then(|r| r.change.sequence_number.clone())
        {
            self.last_sequence = Some(seq);
        }
        Ok(records)
    }

    /// Rewinds so the next batch starts after `sequence` (or at the start):
    /// how a failed record is delivered again.
    pub fn rewind_to_after(&mut self, sequence: Option<String>) {
        self.last_sequence = sequence;
        self.iterator = None;
    }
}

/// Attempts at a failing record or message before the local stack
/// dead-letters it (logs it and moves on), as the retry limits and
/// dead-letter queues of the template would.
pub const MAX_ATTEMPTS: u32 = 3;
/// Records per delivery to a stream consumer, as the template's `BatchSize`.
pub const BATCH_SIZE: usize = 100;
/// Messages per delivery to a queue consumer (SQS's largest batch).
pub const SQS_BATCH: usize = 10;

/// Where a stream's records go.
#[derive(Debug, Clone, Copy)]
pub enum Sink {
    /// A Lambda event source mapping on the stream.
    Lambda(shared::jobs::StreamConsumer),
    /// An EventBridge pipe into an SQS queue read by this consumer.
    Pipe(shared::jobs::QueueConsumer),
}

impl Sink {
    pub fn name(self) -> &'static str {
        match self {
            Sink::Lambda(c) => c.name(),
            Sink::Pipe(c) => c.name(),
        }
    }
}

/// One subscription to a stream: a reader with its own position.
pub struct Subscription {
    pub sink: Sink,
    pub reader: StreamReader,
    failing: Option<(String, u32)>,
}

impl Subscription {
    pub fn new(sink: Sink, reader: StreamReader) -> Self {
        Subscription {
            sink,
            reader,
            failing: None,
        }
    }

    /// Delivers what is new on the stream, batch after batch while batches
    /// come back full (as Lambda polls a shard with a backlog), at most
    /// `max_batches` so a tick stays short. Returns how many records were read.
    pub async fn drain(&mut self, app: &shared::App, max_batches: usize) -> Result<usize, Error> {
        let mut read = 0;
        for _ in 0..max_batches {
            let n = self.deliver(app).await?;
            read += n;
            if n < BATCH_SIZE {
                break;
            }
        }
        Ok(read)
    }

    /// Delivers what is new on the stream, once. Returns how many records
    /// were read.
    pub async fn deliver(&mut self, app: &shared::App) -> Result<usize, Error> {
        let before = self.reader.last_sequence().map(str::to_string);
        let records = self.reader.next_batch(BATCH_SIZE)?;
        if records.is_empty() {
            return Ok(0);
        }
        match self.sink {
            Sink::Lambda(consumer) => {
                self.deliver_to_lambda(consumer, app, records.clone(), before)
                    .await
            }
            Sink::Pipe(consumer) => to_queue(consumer, app, &records).await,
        }
        Ok(records.len())
    }

    /// As Lambda's event source mapping: a failed record and those after it
    /// are delivered again, up to [`MAX_ATTEMPTS`].
    async fn deliver_to_lambda(
        &mut self,
        consumer: shared::jobs::StreamConsumer,
        app: &shared::App,
        records: Vec<EventRecord>,
        before: Option<String>,
    ) {
        let mut event = aws_lambda_events::event::dynamodb::Event::default();
        event.records = records.clone();
        let response = consumer.handle(app, event).await;
        let Some(first_failed) = response
            .batch_item_failures
            .iter()
            .filter_map(|f| f.item_identifier.clone())
            .filter_map(|seq| {
                records
                    .iter()
                    .position(|r| r.change.sequence_number.as_deref() == Some(&seq))
            })
            .min()
        else {
            self.failing = None;
            return;
        };
        let seq = records[first_failed]
            .change
            .sequence_number
            .clone()
            .unwrap_or_default();
        let attempts = match &self.failing {
            Some((s, n)) if *s == seq => n + 1,
            _ => 1,
        };
        if attempts >= MAX_ATTEMPTS {
            tracing::error!(
                consumer = consumer.name(),
                sequence = %seq,
                record = %serde_json::to_string(&records[first_failed]).unwrap_or_default(),
                "record dead-lettered after {attempts} attempts"
            );
            self.failing = None;
            self.reader.rewind_to_after(Some(seq));
        } else {
            self.failing = Some((seq, attempts));
            let resume = match first_failed {
                0 => before,
                i => records[i - 1].change.sequence_number.clone(),
            };
            self.reader.rewind_to_after(resume);
        }
    }
}

/// As a pipe into SQS and Lambda's SQS poller: each record becomes a
/// message whose body is the record's JSON, delivered in batches; a failed
/// message comes back up to [`MAX_ATTEMPTS`] times, then is dead-lettered.
pub async fn to_queue(
    consumer: shared::jobs::QueueConsumer,
    app: &shared::App,
    records: &[EventRecord],
) {
    let mut pending: Vec<(aws_lambda_events::event::sqs::SqsMessage, u32)> = records
        .iter()
        .map(|r| {
            let mut m = aws_lambda_events::event::sqs::SqsMessage::default();
            m.message_id = Some(r.event_id.clone());
            m.body = serde_json::to_string(r).ok();
            (m, 0)
        })
        .collect();
    while !pending.is_empty() {
        let mut retry = Vec::new();
        // Each batch of messages to its own invocation, as Lambda's SQS
        // poller scales out over a queue with messages waiting.
        let handled =
            futures::future::join_all(pending.chunks(SQS_BATCH).map(|chunk| async move {
                let mut event = aws_lambda_events::event::sqs::SqsEvent::default();
                event.records = chunk.iter().map(|(m, _)| m.clone()).collect();
                let failed: Vec<String> = consumer
                    .handle(app, event)
                    .await
                    .batch_item_failures
                    .into_iter()
                    .map(|f| f.item_identifier)
                    .collect();
                (chunk, failed)
            }))
            .await;
        for (chunk, failed) in handled {
            for (m, attempts) in chunk {
                if !failed.contains(m.message_id.as_ref().unwrap_or(&String::new())) {
                    continue;
                }
                if attempts + 1 >= MAX_ATTEMPTS {
                    tracing::error!(consumer = consumer.name(), message = ?m.body, "message dead-lettered");
                } else {
                    retry.push((m.clone(), attempts + 1));
                }
            }
        }
        pending = retry;
    }
}
