//! The single writer: requests queue on a bounded channel; the writer takes every request waiting
//! (up to [`GROUP_REQUESTS_MAX`]) and commits them in one transaction, one fsync for the group.
//! Each caller is answered only after that commit.
//!
//! If a group fails, its requests are retried one by one, so one bad request (a name conflict)
//! never fails the others that happened to share its transaction.

use std::sync::Arc;

use hl_events::{Event, NodeKey};
use hl_store::{AppendRequest, Store};
use hl_types::NodeId;
use tokio::sync::{mpsc, oneshot};

use crate::NodeError;

/// Requests waiting for the writer; callers beyond this wait for a place (back-pressure).
pub const QUEUE_REQUESTS_MAX: usize = 4_096;
/// Requests committed together at most.
pub const GROUP_REQUESTS_MAX: usize = 512;

struct Job {
    request: AppendRequest,
    reply: oneshot::Sender<Result<Vec<Event>, NodeError>>,
}

/// A handle to submit requests to the writer.
#[derive(Clone)]
pub struct WriterHandle {
    jobs: mpsc::Sender<Job>,
    committed: tokio::sync::broadcast::Sender<Arc<Event>>,
}

/// Committed events kept for slow readers of the feed; one that falls further behind is told
/// how many it missed (`RecvError::Lagged`) and catches up from the store.
pub const COMMITTED_FEED_BUFFER: usize = 4_096;

impl WriterHandle {
    /// Appends the request's events atomically; returns them sealed once committed.
    pub async fn submit(&self, request: AppendRequest) -> Result<Vec<Event>, NodeError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { request, reply }).await.map_err(|_| NodeError::ShuttingDown)?;
        answer.await.map_err(|_| NodeError::ShuttingDown)?
    }

    /// The committed-events feed: every event, once its transaction has committed, in commit
    /// order. Nothing on it was ever rolled back.
    pub fn committed(&self) -> tokio::sync::broadcast::Receiver<Arc<Event>> {
        self.committed.subscribe()
    }
}

pub(crate) fn spawn(store: Arc<dyn Store>, origin: NodeId, key: Arc<NodeKey>) -> WriterHandle {
    let (jobs, mut queue) = mpsc::channel::<Job>(QUEUE_REQUESTS_MAX);
    let (committed, _) = tokio::sync::broadcast::channel(COMMITTED_FEED_BUFFER);
    let feed = committed.clone();
    tokio::spawn(async move {
        let mut group = Vec::with_capacity(GROUP_REQUESTS_MAX);
        while queue.recv_many(&mut group, GROUP_REQUESTS_MAX).await > 0 {
            commit_group(store.as_ref(), &origin, &key, &mut group, &feed).await;
        }
    });
    WriterHandle { jobs, committed }
}

/// Publishes committed events on the feed (before the writers hear back, so a reader of the
/// feed sees an event no later than its author's answer).
fn publish(feed: &tokio::sync::broadcast::Sender<Arc<Event>>, events: &[Event]) {
    for event in events {
        // No subscriber is not an error: the feed is for whoever listens now.
        let _ = feed.send(Arc::new(event.clone()));
    }
}

async fn commit_group(
    store: &dyn Store,
    origin: &NodeId,
    key: &NodeKey,
    group: &mut Vec<Job>,
    feed: &tokio::sync::broadcast::Sender<Arc<Event>>,
) {
    let requests: Vec<AppendRequest> = group.iter().map(|j| j.request.clone()).collect();
    match store.append(origin, key, &requests).await {
        Ok(sealed) => {
            let count: usize = sealed.iter().map(Vec::len).sum();
            metrics::counter!("harborlink_events_appended_total").increment(count as u64);
            for events in &sealed {
                publish(feed, events);
            }
            for (job, events) in group.drain(..).zip(sealed) {
                let _ = job.reply.send(Ok(events));
            }
        }
        Err(err) if group.len() == 1 => {
            tracing::warn!(error = %err, "append failed");
            if let Some(job) = group.pop() {
                let _ = job.reply.send(Err(err.into()));
            }
        }
        Err(err) => {
            tracing::debug!(error = %err, requests = group.len(), "group append failed; retrying one by one");
            for job in group.drain(..) {
                let result = store.append(origin, key, std::slice::from_ref(&job.request)).await;
                let result = match result {
                    Ok(mut sealed) => {
                        let events = sealed.pop().unwrap_or_default();
                        metrics::counter!("harborlink_events_appended_total").increment(events.len() as u64);
                        publish(feed, &events);
                        Ok(events)
                    }
                    Err(err) => Err(err.into()),
                };
                let _ = job.reply.send(result);
            }
        }
    }
}
