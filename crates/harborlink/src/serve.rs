//! `harborlink serve`: initialize if needed, open, listen, shut down gracefully.

use std::time::Duration;

use anyhow::Context;
use hl_api::{ApiConfig, AppState};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

use crate::cli::ServeArgs;
use crate::datadir;
use crate::settings::Overrides;

/// Latency buckets in seconds: sub-millisecond reads up to slow writes.
const LATENCY_BUCKETS_SECS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    if datadir::is_vacant(&args.node.data_dir)? {
        // The database given now is recorded in the configuration, so a later start without
        // the flag opens the same database (never a fresh SQLite file beside it).
        datadir::init(&args.node.data_dir, None, args.node.database.as_deref()).await?;
    }
    // Held until the process ends: one serving node per data directory.
    datadir::check_node_dir(&args.node.data_dir)?;
    let _lock = datadir::lock(&args.node.data_dir)?;
    let opened = datadir::open(&args.node, Overrides { listen: args.listen, database: None }).await?;
    let (settings, node) = opened.start();
    let metrics = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix(String::from("_seconds")), LATENCY_BUCKETS_SECS)
        .context("invalid metric buckets")?
        .install_recorder()
        .context("cannot install the metrics recorder")?;
    describe_metrics();
    let config = ApiConfig {
        body_limit_bytes: settings.body_limit_bytes,
        request_timeout: Duration::from_secs(settings.request_timeout_secs),
        attachment_limit_bytes: settings.attachment_limit_bytes,
    };
    let store = node.store().clone();
    // Never bound here: a binding cleared by hand would be re-made at every start, which would
    // turn any hand-edited hash into a working login. The operator binds once, knowingly.
    let unbound = node.unbound_tokens().await.context("cannot read the stored token hashes")?;
    if unbound > 0 {
        tracing::warn!(
            tokens = unbound,
            "token hashes without a binding are refused at login; after an upgrade, run `harborlink token bind-legacy` once"
        );
    }
    if node.organizations().await.context("cannot read the organizations")?.is_empty() {
        eprintln!("{}", crate::admin::next_steps(&args.node.data_dir));
    }
    let mut live_config = settings.live.config()?;
    settings.detect.check().map_err(|why| anyhow::anyhow!("invalid [detect] setting: {why}"))?;
    live_config.detectors = settings.detect.clone();
    let live = hl_live::Live::start(node.clone(), live_config).await.context("cannot start the live picture")?;
    let (close, closing) = tokio::sync::watch::channel(false);
    let app = hl_api::app(
        AppState {
            node: node.clone(),
            live: live.clone(),
            metrics,
            closing,
            attachment_limit_bytes: config.attachment_limit_bytes,
        },
        &config,
    );
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(node_id = %node.origin(), %address, "serving");
    // Tests and scripts read the bound address (port 0 picks one) from this line on stdout.
    println!("harborlink listening on http://{address}");
    let limits = hl_api::server::ServeLimits {
        connections_max: settings.connections_max.max(1),
        header_read_timeout: Duration::from_secs(settings.header_read_timeout_secs.max(1)),
        // A request being answered sends nothing until it is done: the idle limit must outlast
        // the longest request, or a slow answer would lose its connection.
        idle_timeout: Duration::from_secs(settings.idle_timeout_secs.max(settings.request_timeout_secs + 1)),
        ..hl_api::server::ServeLimits::default()
    };
    let shutdown = async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = close.send(true);
    };
    hl_api::server::serve(listener, app, limits, shutdown).await.context("server failed")?;
    if !live.flush(SHUTDOWN_FLUSH_WAIT).await {
        tracing::error!("alert repeats could not all be written before shutdown");
    }
    match live.save().await {
        Ok(changed) => tracing::info!(vessels = live.vessel_count(), changed, "picture saved"),
        Err(err) => tracing::error!(error = %err, "cannot save the picture"),
    }
    store.close().await;
    Ok(())
}

/// Registers every counter at zero with its help text, so dashboards and alerts see them
/// before the first increment (a store error counter that appears only after the first error
/// cannot be alerted on).
fn describe_metrics() {
    let counters = [
        ("harborlink_events_appended_total", "Events sealed and committed to the log."),
        ("harborlink_store_errors_total", "Storage operations that failed."),
        ("harborlink_auth_failures_total", "Requests refused for missing or invalid credentials."),
        ("harborlink_alerts_merged_total", "Detections merged into an open alert (cool-down)."),
        ("harborlink_alerts_unowned_total", "Detections not recorded: no organization on the node to own them."),
        ("harborlink_alert_write_retries_total", "Failed writes of alerts or repeats, each retried until recorded."),
        ("harborlink_stream_updates_dropped_total", "Vessel updates dropped for slow stream consumers."),
    ];
    for (name, help) in counters {
        metrics::describe_counter!(name, help);
        metrics::counter!(name).absolute(0);
    }
    metrics::describe_counter!("harborlink_http_requests_total", "HTTP requests by method, route and status.");
    metrics::describe_histogram!(
        "harborlink_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP request latency by method and route."
    );
}

/// How long shutdown waits for the alert recorder to write what it holds.
const SHUTDOWN_FLUSH_WAIT: Duration = Duration::from_secs(10);

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = interrupt => {},
        () = terminate => {},
    }
}
