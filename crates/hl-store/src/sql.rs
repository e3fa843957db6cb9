//! The SQL shared by both back ends, stamped out once per database type by [`sql_store!`].
//!
//! Queries are written with `$N` placeholders and pass through each back end's `sql` function
//! (SQLite rewrites them to `?N`). Only portable SQL is used: `ON CONFLICT`, `COALESCE`, plain
//! `SELECT`s; integers are 64-bit, ids and hashes are text (hex), JSON is stored as text so a
//! signed payload is kept byte for byte.

macro_rules! sql_store {
    ($Store:ident, $Db:ty, $backend:expr, $sql:ident, $for_update:literal) => {
        use std::collections::BTreeSet;

        use async_trait::async_trait;
        use hl_events::{AdvisorySeverity, Change, Event, Hash, NodeKey, PublicKey, GENESIS_HASH};
        use hl_types::{EventId, NodeId, OrgId, RecordId, TokenId, UserId};
        use sqlx::Row;

        use crate::{
            Advisory, AlertFilter, AlertRecord, AppendRequest, Backend, CorruptEvent, LocalWrite, Organization,
            Projection, RecordFacets, RecordFilter, RecordList, RecordProjector, Store, StoredRecord, TokenRecord, User,
            WatchlistRecord, ZoneRecord,
        };

        type DbRow = <$Db as sqlx::Database>::Row;
        type DbConn = <$Db as sqlx::Database>::Connection;

        /// Rows fetched per page while replaying the log.
        const REPLAY_PAGE: i64 = 1_000;

        fn text(row: &DbRow, col: &str) -> Result<String, StoreError> {
            row.try_get::<String, _>(col).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
        }

        fn parse<T>(row: &DbRow, col: &str) -> Result<T, StoreError>
        where
            T: std::str::FromStr,
            T::Err: std::fmt::Display,
        {
            let value = text(row, col)?;
            value.parse().map_err(|e| StoreError::Corrupt(format!("{col} `{value}`: {e}")))
        }

        fn json<T: serde::de::DeserializeOwned>(row: &DbRow, col: &str) -> Result<T, StoreError> {
            let value = text(row, col)?;
            serde_json::from_str(&value).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
        }

        fn int(row: &DbRow, col: &str) -> Result<i64, StoreError> {
            row.try_get::<i64, _>(col).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
        }

        fn severity_text(severity: AdvisorySeverity) -> String {
            serde_json::to_value(severity).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
        }

        fn severity(row: &DbRow) -> Result<AdvisorySeverity, StoreError> {
            let value = text(row, "severity")?;
            serde_json::from_value(serde_json::Value::String(value.clone()))
                .map_err(|_| StoreError::Corrupt(format!("severity `{value}`")))
        }

        fn fixed_hex<const N: usize>(row: &DbRow, col: &str) -> Result<[u8; N], StoreError> {
            let value = text(row, col)?;
            hex::decode(&value)
                .ok()
                .and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
                .ok_or_else(|| StoreError::Corrupt(format!("{col} is not {N} bytes of hex")))
        }

        fn event_from_row(row: &DbRow) -> Result<Event, StoreError> {
            let seq = int(row, "seq")?;
            Ok(Event {
                id: parse(row, "id")?,
                origin: parse(row, "origin")?,
                seq: u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("seq {seq}")))?,
                author_org: parse(row, "author_org")?,
                author_user: match row.try_get::<Option<String>, _>("author_user")? {
                    None => None,
                    Some(u) => Some(u.parse().map_err(|e| StoreError::Corrupt(format!("author_user: {e}")))?),
                },
                recorded_at_us: int(row, "recorded_at_us")?,
                record_type: text(row, "record_type")?,
                record_id: text(row, "record_id")?,
                releasability: json(row, "releasability")?,
                payload: text(row, "payload")?,
                prev_hash: fixed_hex::<32>(row, "prev_hash")?,
                hash: fixed_hex::<32>(row, "hash")?,
                signature: fixed_hex::<64>(row, "signature")?,
            })
        }

        fn corrupt_event(row: &DbRow, err: StoreError) -> CorruptEvent {
            CorruptEvent {
                pos: row.try_get::<i64, _>("pos").unwrap_or(-1),
                id: row.try_get::<String, _>("id").unwrap_or_default(),
                reason: err.to_string(),
            }
        }

        fn advisory_from_row(row: &DbRow) -> Result<Advisory, StoreError> {
            Ok(Advisory {
                id: parse(row, "id")?,
                owner_org: parse(row, "owner_org")?,
                title: text(row, "title")?,
                body: text(row, "body")?,
                severity: severity(row)?,
                releasability: json(row, "releasability")?,
                published_at_us: int(row, "published_at_us")?,
                revised_at_us: int(row, "revised_at_us")?,
                revision: int(row, "revision")?,
            })
        }

        fn real(row: &DbRow, col: &str) -> Result<f64, StoreError> {
            row.try_get::<f64, _>(col).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
        }

        fn opt_u32(row: &DbRow, col: &str) -> Result<Option<u32>, StoreError> {
            let value = row.try_get::<Option<i64>, _>(col).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))?;
            value.map(|v| u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{col} {v}")))).transpose()
        }

        fn opt_text(row: &DbRow, col: &str) -> Result<Option<String>, StoreError> {
            row.try_get::<Option<String>, _>(col).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
        }

        fn alert_from_row(row: &DbRow) -> Result<AlertRecord, StoreError> {
            let mmsi = int(row, "mmsi")?;
            let occurrences = int(row, "occurrences")?;
            Ok(AlertRecord {
                id: parse(row, "id")?,
                owner_org: parse(row, "owner_org")?,
                kind: text(row, "kind")?,
                severity: text(row, "severity")?,
                status: text(row, "status")?,
                status_reason: opt_text(row, "status_reason")?,
                handling: json(row, "handling")?,
                mmsi: u32::try_from(mmsi).map_err(|_| StoreError::Corrupt(format!("mmsi {mmsi}")))?,
                mmsi_2: opt_u32(row, "mmsi_2")?,
                zone: opt_text(row, "zone")?,
                watch_entry: opt_text(row, "watch_entry")?,
                feed: opt_text(row, "feed")?,
                start_s: int(row, "start_s")?,
                end_s: int(row, "end_s")?,
                lat: real(row, "lat")?,
                lon: real(row, "lon")?,
                detail: text(row, "detail")?,
                evidence: json(row, "evidence")?,
                occurrences: u32::try_from(occurrences).map_err(|_| StoreError::Corrupt(format!("occurrences {occurrences}")))?,
                releasability: json(row, "releasability")?,
                raised_at_us: int(row, "raised_at_us")?,
                updated_at_us: int(row, "updated_at_us")?,
            })
        }

        fn zone_from_row(row: &DbRow) -> Result<ZoneRecord, StoreError> {
            Ok(ZoneRecord {
                id: parse(row, "id")?,
                owner_org: parse(row, "owner_org")?,
                name: text(row, "name")?,
                kind: text(row, "kind")?,
                feature: text(row, "feature")?,
                releasability: json(row, "releasability")?,
                defined_at_us: int(row, "defined_at_us")?,
            })
        }

        fn watchlist_from_row(row: &DbRow) -> Result<WatchlistRecord, StoreError> {
            Ok(WatchlistRecord {
                id: parse(row, "id")?,
                owner_org: parse(row, "owner_org")?,
                mmsi: opt_u32(row, "mmsi")?,
                imo: opt_u32(row, "imo")?,
                name: opt_text(row, "name")?,
                callsign: opt_text(row, "callsign")?,
                reason: text(row, "reason")?,
                releasability: json(row, "releasability")?,
                added_at_us: int(row, "added_at_us")?,
            })
        }

        fn token_from_row(row: &DbRow) -> Result<TokenRecord, StoreError> {
            Ok(TokenRecord {
                id: parse(row, "id")?,
                user: parse(row, "user_id")?,
                label: text(row, "label")?,
                created_at_us: int(row, "created_at_us")?,
                revoked_at_us: row.try_get::<Option<i64>, _>("revoked_at_us")?,
            })
        }

        fn user_from_row(row: &DbRow) -> Result<User, StoreError> {
            Ok(User {
                id: parse(row, "id")?,
                org: parse(row, "org_id")?,
                name: text(row, "name")?,
                role: parse(row, "role")?,
                created_at_us: int(row, "created_at_us")?,
            })
        }

        fn opt_int(row: &DbRow, col: &str) -> Result<Option<i64>, StoreError> {
            row.try_get::<Option<i64>, _>(col).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
        }

        fn opt_real(row: &DbRow, col: &str) -> Result<Option<f64>, StoreError> {
            row.try_get::<Option<f64>, _>(col).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
        }

        /// A `records` row. Its `vessels` facet is left empty: it is written (to
        /// `record_vessels`, for the MMSI filter) but never needed on reads, where the record
        /// type's state (`doc`) holds the vessels.
        fn record_from_row(row: &DbRow) -> Result<StoredRecord, StoreError> {
            let position = match (opt_real(row, "lat")?, opt_real(row, "lon")?) {
                (Some(lat), Some(lon)) => Some((lat, lon)),
                _ => None,
            };
            Ok(StoredRecord {
                kind: text(row, "kind")?,
                id: parse(row, "id")?,
                owner_org: parse(row, "owner_org")?,
                releasability: json(row, "releasability")?,
                revision: int(row, "revision")?,
                created_at_us: int(row, "created_at_us")?,
                updated_at_us: int(row, "updated_at_us")?,
                facets: RecordFacets {
                    class: opt_text(row, "class")?,
                    severity: opt_int(row, "severity")?,
                    status: opt_text(row, "status")?,
                    at_s: opt_int(row, "at_s")?,
                    position,
                    vessels: Vec::new(),
                },
                doc: text(row, "doc")?,
            })
        }

        /// Applies one [`Change::Record`] through the projector: reads the record, asks for its
        /// next state, stores it and re-derives its audiences.
        async fn apply_record(
            conn: &mut DbConn,
            projector: &dyn RecordProjector,
            e: &Event,
            kind: &str,
            id: RecordId,
            change: &serde_json::Value,
        ) -> Result<(), StoreError> {
            let row = sqlx::query($sql("SELECT * FROM records WHERE id = $1")).bind(id.to_string()).fetch_optional(&mut *conn).await?;
            let current = row.map(|row| record_from_row(&row)).transpose()?;
            if current.as_ref().is_some_and(|c| c.kind != kind) {
                // An id belongs to one record type for good.
                return Ok(());
            }
            let next = match projector.project(kind, current, e, change) {
                Projection::Unchanged => return Ok(()),
                Projection::Refused(why) => return Err(StoreError::Conflict(why)),
                Projection::Delete => None,
                Projection::Put(next) => Some(*next),
            };
            for table in ["DELETE FROM records WHERE id = $1", "DELETE FROM record_vessels WHERE record_id = $1", "DELETE FROM record_audiences WHERE record_id = $1"] {
                sqlx::query($sql(table)).bind(id.to_string()).execute(&mut *conn).await?;
            }
            let Some(next) = next else { return Ok(()) };
            if next.id != id || next.kind != kind {
                return Err(StoreError::Corrupt(format!("the projection of {kind} {id} named another record")));
            }
            let releasability =
                serde_json::to_string(&next.releasability).map_err(|err| StoreError::Corrupt(err.to_string()))?;
            sqlx::query($sql(
                "INSERT INTO records (id, kind, owner_org, releasability, revision, created_at_us, updated_at_us, \
                 class, severity, status, at_s, lat, lon, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            ))
            .bind(id.to_string())
            .bind(kind)
            .bind(next.owner_org.to_string())
            .bind(releasability)
            .bind(next.revision)
            .bind(next.created_at_us)
            .bind(next.updated_at_us)
            .bind(next.facets.class.clone())
            .bind(next.facets.severity)
            .bind(next.facets.status.clone())
            .bind(next.facets.at_s)
            .bind(next.facets.position.map(|p| p.0))
            .bind(next.facets.position.map(|p| p.1))
            .bind(next.doc.as_str())
            .execute(&mut *conn)
            .await
            .map_err(StoreError::from_write)?;
            for mmsi in next.facets.vessels.iter().collect::<BTreeSet<_>>() {
                sqlx::query($sql("INSERT INTO record_vessels (record_id, mmsi) VALUES ($1, $2)"))
                    .bind(id.to_string())
                    .bind(i64::from(*mmsi))
                    .execute(&mut *conn)
                    .await?;
            }
            let owner = owner_of(conn, next.owner_org).await?;
            for audience in hl_policy::audiences_of(owner, &next.releasability) {
                sqlx::query($sql(
                    "INSERT INTO record_audiences (list, audience, record_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                ))
                .bind(kind)
                .bind(audience.key())
                .bind(id.to_string())
                .execute(&mut *conn)
                .await?;
            }
            Ok(())
        }

        /// The SQL of one visible page of records, newest first: per audience, a keyset range
        /// of the index (`LIMIT` rows before the cursor), united, then the page's rows.
        /// Placeholders: `$1` kind, `$2` cursor (the listing's ids are all below it), `$3` limit, `$4` severity at
        /// least, `$5`/`$6` since/until, `$7`-`$10` area, `$11` MMSI, then one per class, one
        /// per status and one per audience.
        /// `audiences`: `None` for every record, whoever it is released to (the operator's
        /// listing), else one keyset range per audience.
        fn records_page_sql(classes: usize, statuses: usize, audiences: Option<usize>, filtered: bool) -> String {
            let mut n = 11;
            let mut list = |count: usize| -> Vec<String> {
                (0..count).map(|_| { n += 1; format!("${n}") }).collect()
            };
            let classes = list(classes);
            let statuses = list(statuses);
            let audiences = audiences.map(&mut list);
            let mut filter = String::from(
                " AND ($4 IS NULL OR x.severity >= $4) AND ($5 IS NULL OR x.at_s >= $5) AND ($6 IS NULL OR x.at_s <= $6) \
                 AND ($7 IS NULL OR (x.lat >= $7 AND x.lat <= $9 AND \
                      (($8 <= $10 AND x.lon >= $8 AND x.lon <= $10) OR ($8 > $10 AND (x.lon >= $8 OR x.lon <= $10))))) \
                 AND ($11 IS NULL OR EXISTS (SELECT 1 FROM record_vessels rv WHERE rv.record_id = x.id AND rv.mmsi = $11))",
            );
            if !classes.is_empty() {
                filter.push_str(&format!(" AND x.class IN ({})", classes.join(", ")));
            }
            if !statuses.is_empty() {
                filter.push_str(&format!(" AND x.status IN ({})", statuses.join(", ")));
            }
            let Some(audiences) = audiences else {
                return format!(
                    "SELECT * FROM records x WHERE x.kind = $1 AND x.id < $2{filter} ORDER BY x.id DESC LIMIT $3"
                );
            };
            // Without a filter the ranges read the index alone: joining the records there lets
            // PostgreSQL's planner scan every record of the kind.
            let join = if filtered { " JOIN records x ON x.id = v.record_id" } else { "" };
            let filter = if filtered { filter.as_str() } else { "" };
            let ranges: Vec<String> = audiences
                .iter()
                .enumerate()
                .map(|(i, audience)| {
                    format!(
                        "SELECT record_id FROM (SELECT v.record_id FROM record_audiences v{join} \
                         WHERE v.list = $1 AND v.audience = {audience} AND v.record_id < $2{filter} \
                         ORDER BY v.record_id DESC LIMIT $3) r{i}"
                    )
                })
                .collect();
            format!("SELECT * FROM records WHERE id IN ({}) ORDER BY id DESC LIMIT $3", ranges.join(" UNION "))
        }

        /// Stores a sealed event; returns its position in the log.
        async fn insert_event(conn: &mut DbConn, e: &Event) -> Result<i64, StoreError> {
            let releasability =
                serde_json::to_string(&e.releasability).map_err(|err| StoreError::Corrupt(err.to_string()))?;
            let row = sqlx::query($sql(
                "INSERT INTO events (id, origin, seq, author_org, author_user, recorded_at_us, record_type, \
                 record_id, releasability, payload, prev_hash, hash, signature) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING pos",
            ))
            .bind(e.id.to_string())
            .bind(e.origin.as_str())
            .bind(i64::try_from(e.seq).map_err(|_| StoreError::Corrupt("sequence overflow".into()))?)
            .bind(e.author_org.to_string())
            .bind(e.author_user.map(|u| u.to_string()))
            .bind(e.recorded_at_us)
            .bind(e.record_type.as_str())
            .bind(e.record_id.as_str())
            .bind(releasability)
            .bind(e.payload.as_str())
            .bind(hex::encode(e.prev_hash))
            .bind(hex::encode(e.hash))
            .bind(hex::encode(e.signature))
            .fetch_one(&mut *conn)
            .await
            .map_err(StoreError::from_write)?;
            int(&row, "pos")
        }

        /// The policy's view of an organization as owner: its nation from the directory.
        async fn owner_of(conn: &mut DbConn, org: OrgId) -> Result<hl_policy::Owner, StoreError> {
            let row = sqlx::query($sql("SELECT nation FROM organizations WHERE id = $1"))
                .bind(org.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            let nation = row.map(|r| parse(&r, "nation")).transpose()?;
            Ok(hl_policy::Owner { org, nation })
        }

        /// Indexes an event under the audiences it is released to.
        async fn index_event(conn: &mut DbConn, pos: i64, e: &Event) -> Result<(), StoreError> {
            let owner = owner_of(conn, e.author_org).await?;
            for audience in hl_policy::audiences_of(owner, &e.releasability) {
                sqlx::query($sql("INSERT INTO event_audiences (audience, pos) VALUES ($1, $2) ON CONFLICT DO NOTHING"))
                    .bind(audience.key())
                    .bind(pos)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }

        /// Re-derives a record's audiences from its projection row (none once it is gone), after
        /// any change that creates, re-releases or deletes it.
        async fn reindex_record(conn: &mut DbConn, list: RecordList, id: &str) -> Result<(), StoreError> {
            sqlx::query($sql("DELETE FROM record_audiences WHERE record_id = $1"))
                .bind(id)
                .execute(&mut *conn)
                .await?;
            let query = match list {
                RecordList::Advisories => "SELECT owner_org, releasability FROM advisories WHERE id = $1",
                RecordList::Alerts => "SELECT owner_org, releasability FROM alerts WHERE id = $1",
                RecordList::Zones => "SELECT owner_org, releasability FROM zones WHERE id = $1",
                RecordList::Watchlist => "SELECT owner_org, releasability FROM watchlist_entries WHERE id = $1",
            };
            let Some(row) = sqlx::query($sql(query)).bind(id).fetch_optional(&mut *conn).await? else {
                return Ok(());
            };
            let owner = owner_of(conn, parse(&row, "owner_org")?).await?;
            let releasability: hl_types::Releasability = json(&row, "releasability")?;
            for audience in hl_policy::audiences_of(owner, &releasability) {
                sqlx::query($sql(
                    "INSERT INTO record_audiences (list, audience, record_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                ))
                .bind(list.as_str())
                .bind(audience.key())
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
            Ok(())
        }

        /// The SQL of one visible page: per audience, a keyset range of the index (`LIMIT` rows
        /// after the cursor), united, then the page's rows. Placeholders: `$1` list, `$2` cursor,
        /// `$3` limit, `$4`-`$13` the alert filter (alerts only; bound for every list, unused
        /// by the others), then one per audience.
        fn visible_page_sql(list: RecordList, audiences: usize) -> String {
            let (table, filter) = match list {
                RecordList::Advisories => ("advisories", ""),
                RecordList::Alerts => (
                    "alerts",
                    " AND ($4 IS NULL OR x.kind = $4) AND ($5 IS NULL OR x.status = $5) \
                     AND ($6 IS NULL OR x.mmsi = $6) AND ($7 IS NULL OR x.end_s >= $7) \
                     AND ($8 IS NULL OR x.severity = $8) AND ($9 IS NULL OR x.zone = $9) \
                     AND ($10 IS NULL OR (x.lat >= $10 AND x.lat <= $12 AND \
                          (($11 <= $13 AND x.lon >= $11 AND x.lon <= $13) OR ($11 > $13 AND (x.lon >= $11 OR x.lon <= $13)))))",
                ),
                RecordList::Zones => ("zones", ""),
                RecordList::Watchlist => ("watchlist_entries", ""),
            };
            let ranges: Vec<String> = (0..audiences)
                .map(|i| {
                    format!(
                        "SELECT record_id FROM (SELECT v.record_id FROM record_audiences v JOIN {table} x ON x.id = v.record_id \
                         WHERE v.list = $1 AND v.audience = ${n} AND v.record_id > $2{filter} ORDER BY v.record_id LIMIT $3) r{i}",
                        n = i + 14
                    )
                })
                .collect();
            format!("SELECT * FROM {table} WHERE id IN ({}) ORDER BY id LIMIT $3", ranges.join(" UNION "))
        }

        /// Applies one event to the projections. Changes this build does not know are skipped.
        async fn apply(conn: &mut DbConn, projector: &dyn RecordProjector, e: &Event) -> Result<(), StoreError> {
            let Some(change) = e.change() else { return Ok(()) };
            if let Change::Record { kind, record, change } = &change {
                return apply_record(conn, projector, e, kind, *record, change).await;
            }
            let at = e.recorded_at_us;
            let indexed = match &change {
                Change::AdvisoryPublished { advisory, .. } | Change::AdvisoryRevised { advisory, .. } => {
                    Some((RecordList::Advisories, advisory.to_string()))
                }
                Change::AlertRaised { alert, .. } => Some((RecordList::Alerts, alert.to_string())),
                Change::ZoneDefined { zone, .. } | Change::ZoneDeleted { zone } => Some((RecordList::Zones, zone.to_string())),
                Change::WatchlistEntryAdded { entry, .. } | Change::WatchlistEntryRemoved { entry } => {
                    Some((RecordList::Watchlist, entry.to_string()))
                }
                _ => None,
            };
            let result = match change {
                Change::OrganizationRegistered { org, name, kind, nation, communities } => {
                    sqlx::query($sql(
                        "INSERT INTO organizations (id, name, kind, nation, registered_at_us) VALUES ($1, $2, $3, $4, $5)",
                    ))
                    .bind(org.to_string())
                    .bind(name)
                    .bind(kind.as_str())
                    .bind(nation.as_str())
                    .bind(at)
                    .execute(&mut *conn)
                    .await?;
                    for community in communities {
                        join(conn, org, community.as_str()).await?;
                    }
                    Ok(())
                }
                Change::CommunityJoined { org, community } => join(conn, org, community.as_str()).await,
                Change::CommunityLeft { org, community } => sqlx::query($sql(
                    "DELETE FROM community_members WHERE org_id = $1 AND community = $2",
                ))
                .bind(org.to_string())
                .bind(community.as_str())
                .execute(&mut *conn)
                .await
                .map(drop),
                Change::UserRegistered { user, org, name, role } => sqlx::query($sql(
                    "INSERT INTO users (id, org_id, name, role, created_at_us) VALUES ($1, $2, $3, $4, $5)",
                ))
                .bind(user.to_string())
                .bind(org.to_string())
                .bind(name)
                .bind(role.as_str())
                .bind(at)
                .execute(&mut *conn)
                .await
                .map(drop),
                Change::TokenIssued { token, user, label } => sqlx::query($sql(
                    "INSERT INTO tokens (id, user_id, label, created_at_us) VALUES ($1, $2, $3, $4)",
                ))
                .bind(token.to_string())
                .bind(user.to_string())
                .bind(label)
                .bind(at)
                .execute(&mut *conn)
                .await
                .map(drop),
                Change::TokenRevoked { token, .. } => sqlx::query($sql(
                    "UPDATE tokens SET revoked_at_us = $1 WHERE id = $2 AND revoked_at_us IS NULL",
                ))
                .bind(at)
                .bind(token.to_string())
                .execute(&mut *conn)
                .await
                .map(drop),
                Change::AdvisoryPublished { advisory, title, body, severity } => sqlx::query($sql(
                    "INSERT INTO advisories (id, owner_org, title, body, severity, releasability, \
                     published_at_us, revised_at_us, revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1)",
                ))
                .bind(advisory.to_string())
                .bind(e.author_org.to_string())
                .bind(title)
                .bind(body)
                .bind(severity_text(severity))
                .bind(serde_json::to_string(&e.releasability).unwrap_or_default())
                .bind(at)
                .execute(&mut *conn)
                .await
                .map(drop),
                Change::AdvisoryRevised { advisory, title, body, severity, releasability, base_revision } => sqlx::query($sql(
                    "UPDATE advisories SET title = COALESCE($1, title), body = COALESCE($2, body), \
                     severity = COALESCE($3, severity), releasability = COALESCE($4, releasability), \
                     revised_at_us = $5, revision = revision + 1 WHERE id = $6 AND owner_org = $7 \
                     AND ($8 IS NULL OR revision = $8)",
                ))
                .bind(title)
                .bind(body)
                .bind(severity.map(severity_text))
                .bind(releasability.map(|r| serde_json::to_string(&r).unwrap_or_default()))
                .bind(at)
                .bind(advisory.to_string())
                .bind(e.author_org.to_string())
                .bind(base_revision)
                .execute(&mut *conn)
                .await
                .and_then(|done| {
                    // Made from a revision that is no longer current: refused (see `base_revision`).
                    if done.rows_affected() == 0 && base_revision.is_some() { Err(sqlx::Error::RowNotFound) } else { Ok(()) }
                }),
                Change::AlertRaised {
                    alert, kind, severity, mmsi, mmsi_2, zone, start_s, end_s, lat, lon, detail, evidence, watch_entry,
                    feed,
                } => sqlx::query($sql(
                    "INSERT INTO alerts (id, owner_org, kind, severity, status, mmsi, mmsi_2, zone, start_s, end_s, \
                     lat, lon, detail, evidence, occurrences, releasability, raised_at_us, updated_at_us, watch_entry, \
                     feed) \
                     VALUES ($1, $2, $3, $4, 'new', $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $15, $15, $16, $17)",
                ))
                .bind(alert.to_string())
                .bind(e.author_org.to_string())
                .bind(kind)
                .bind(severity)
                .bind(i64::from(mmsi))
                .bind(mmsi_2.map(i64::from))
                .bind(zone)
                .bind(start_s)
                .bind(end_s)
                .bind(lat)
                .bind(lon)
                .bind(detail)
                .bind(serde_json::to_string(&evidence).unwrap_or_else(|_| String::from("[]")))
                .bind(serde_json::to_string(&e.releasability).unwrap_or_default())
                .bind(at)
                .bind(watch_entry)
                .bind(feed)
                .execute(&mut *conn)
                .await
                .map(drop),
                Change::AlertRepeated { alert, end_s, lat, lon, occurrences, detail } => sqlx::query($sql(
                    "UPDATE alerts SET end_s = CASE WHEN end_s > $1 THEN end_s ELSE $1 END, lat = $2, lon = $3, \
                     occurrences = $4, detail = $5, updated_at_us = $6 WHERE id = $7 AND owner_org = $8",
                ))
                .bind(end_s)
                .bind(lat)
                .bind(lon)
                .bind(i64::from(occurrences))
                .bind(detail)
                .bind(at)
                .bind(alert.to_string())
                .bind(e.author_org.to_string())
                .execute(&mut *conn)
                .await
                .map(drop),
                Change::AlertAcknowledged { alert, note } => {
                    set_alert_status(conn, e, alert, "acknowledged", note, None).await
                }
                Change::AlertDismissed { alert, reason } => {
                    set_alert_status(conn, e, alert, "dismissed", Some(reason), None).await
                }
                Change::AlertEscalated { alert, note, incident } => {
                    set_alert_status(conn, e, alert, "escalated", Some(note), incident).await
                }
                Change::ZoneDefined { zone, name, kind, feature } => sqlx::query($sql(
                    "INSERT INTO zones (id, owner_org, name, kind, feature, releasability, defined_at_us) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                ))
                .bind(zone.to_string())
                .bind(e.author_org.to_string())
                .bind(name)
                .bind(kind)
                .bind(feature)
                .bind(serde_json::to_string(&e.releasability).unwrap_or_default())
                .bind(at)
                .execute(&mut *conn)
                .await
                .map(drop),
                Change::ZoneDeleted { zone } => sqlx::query($sql("DELETE FROM zones WHERE id = $1 AND owner_org = $2"))
                    .bind(zone.to_string())
                    .bind(e.author_org.to_string())
                    .execute(&mut *conn)
                    .await
                    .map(drop),
                Change::WatchlistEntryAdded { entry, mmsi, imo, name, callsign, reason } => sqlx::query($sql(
                    "INSERT INTO watchlist_entries (id, owner_org, mmsi, imo, name, callsign, reason, releasability, \
                     added_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                ))
                .bind(entry.to_string())
                .bind(e.author_org.to_string())
                .bind(mmsi.map(i64::from))
                .bind(imo.map(i64::from))
                .bind(name)
                .bind(callsign)
                .bind(reason)
                .bind(serde_json::to_string(&e.releasability).unwrap_or_default())
                .bind(at)
                .execute(&mut *conn)
                .await
                .map(drop),
                Change::WatchlistEntryRemoved { entry } => {
                    sqlx::query($sql("DELETE FROM watchlist_entries WHERE id = $1 AND owner_org = $2"))
                        .bind(entry.to_string())
                        .bind(e.author_org.to_string())
                        .execute(&mut *conn)
                        .await
                        .map(drop)
                }
                // Handled above.
                Change::Record { .. } => Ok(()),
            };
            result.map_err(|err| match err {
                sqlx::Error::RowNotFound => {
                    StoreError::Conflict(String::from("the record was revised meanwhile; read it again and retry"))
                }
                other => StoreError::from_write(other),
            })?;
            if let Some((list, id)) = indexed {
                reindex_record(conn, list, &id).await?;
            }
            Ok(())
        }

        /// Only the owning organization's events change an alert's status, and only forward
        /// ([`crate::alert_status_moves`]); each accepted change joins the alert's handling.
        async fn set_alert_status(
            conn: &mut DbConn,
            e: &Event,
            alert: RecordId,
            status: &str,
            reason: Option<String>,
            incident: Option<RecordId>,
        ) -> Result<(), sqlx::Error> {
            let row = sqlx::query($sql("SELECT status, handling FROM alerts WHERE id = $1 AND owner_org = $2"))
                .bind(alert.to_string())
                .bind(e.author_org.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            let Some(row) = row else { return Ok(()) };
            let current: String = row.try_get("status")?;
            if !crate::alert_status_moves(&current, status) {
                return Ok(());
            }
            let handling: String = row.try_get("handling")?;
            let mut handling: Vec<crate::AlertHandling> = serde_json::from_str(&handling).unwrap_or_default();
            handling.push(crate::AlertHandling {
                status: status.to_owned(),
                by: e.author_user,
                at_us: e.recorded_at_us,
                reason: reason.clone(),
                incident,
            });
            let handling = serde_json::to_string(&handling).unwrap_or_else(|_| String::from("[]"));
            sqlx::query($sql(
                "UPDATE alerts SET status = $1, status_reason = $2, updated_at_us = $3, handling = $4 \
                 WHERE id = $5 AND owner_org = $6",
            ))
            .bind(status)
            .bind(reason)
            .bind(e.recorded_at_us)
            .bind(handling)
            .bind(alert.to_string())
            .bind(e.author_org.to_string())
            .execute(&mut *conn)
            .await
            .map(drop)
        }

        async fn join(conn: &mut DbConn, org: OrgId, community: &str) -> Result<(), sqlx::Error> {
            sqlx::query($sql(
                "INSERT INTO community_members (org_id, community) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            ))
            .bind(org.to_string())
            .bind(community)
            .execute(&mut *conn)
            .await
            .map(drop)
        }

        async fn local_write(conn: &mut DbConn, write: &LocalWrite) -> Result<(), StoreError> {
            match write {
                LocalWrite::TokenSecret { token, secret_hash, binding } => {
                    sqlx::query($sql("INSERT INTO token_secrets (token_id, secret_hash, binding) VALUES ($1, $2, $3)"))
                        .bind(token.to_string())
                        .bind(secret_hash.as_str())
                        .bind(binding.as_str())
                        .execute(&mut *conn)
                        .await
                        .map_err(StoreError::from_write)?;
                }
                LocalWrite::VesselTrack { mmsi, track, saved_at_us } => {
                    sqlx::query($sql(
                        "INSERT INTO vessel_tracks (mmsi, track, saved_at_us) VALUES ($1, $2, $3) \
                         ON CONFLICT (mmsi) DO UPDATE SET track = excluded.track, saved_at_us = excluded.saved_at_us",
                    ))
                    .bind(i64::from(*mmsi))
                    .bind(track.as_str())
                    .bind(*saved_at_us)
                    .execute(&mut *conn)
                    .await
                    .map_err(StoreError::from_write)?;
                }
                LocalWrite::Attachment { sha256, media_type, content, stored_at_us } => {
                    sqlx::query($sql(
                        "INSERT INTO attachments (sha256, media_type, size, content, stored_at_us) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
                    ))
                    .bind(sha256.as_str())
                    .bind(media_type.as_str())
                    .bind(i64::try_from(content.len()).unwrap_or(i64::MAX))
                    .bind(content.as_ref())
                    .bind(*stored_at_us)
                    .execute(&mut *conn)
                    .await
                    .map_err(StoreError::from_write)?;
                }
                LocalWrite::RecordRead(read) => {
                    sqlx::query($sql(
                        "INSERT INTO record_reads (id, record_id, reader_org, reader_user, at_us, what) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    ))
                    .bind(read.id.to_string())
                    .bind(read.record.to_string())
                    .bind(read.reader_org.map(|o| o.to_string()))
                    .bind(read.reader_user.map(|u| u.to_string()))
                    .bind(read.at_us)
                    .bind(read.what.as_str())
                    .execute(&mut *conn)
                    .await
                    .map_err(StoreError::from_write)?;
                }
                LocalWrite::FeedPosition { feed, identity, byte_offset, saved_at_us } => {
                    sqlx::query($sql(
                        "INSERT INTO feed_positions (feed, identity, byte_offset, saved_at_us) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (feed) DO UPDATE SET identity = excluded.identity, \
                         byte_offset = excluded.byte_offset, saved_at_us = excluded.saved_at_us",
                    ))
                    .bind(feed.as_str())
                    .bind(identity.as_str())
                    .bind(i64::try_from(*byte_offset).unwrap_or(i64::MAX))
                    .bind(*saved_at_us)
                    .execute(&mut *conn)
                    .await
                    .map_err(StoreError::from_write)?;
                }
            }
            Ok(())
        }

        impl $Store {
            /// One page of records, newest first: through the visibility index for `audiences`,
            /// or every record for `None`.
            async fn records_page(
                &self,
                kind: &str,
                audiences: Option<&[String]>,
                filter: &RecordFilter,
                before: Option<RecordId>,
                limit: u32,
            ) -> Result<Vec<StoredRecord>, StoreError> {
                let filtered = *filter != RecordFilter::default();
                let text =
                    records_page_sql(filter.classes.len(), filter.statuses.len(), audiences.map(<[String]>::len), filtered);
                let mut query = sqlx::query(sql_owned(text))
                    .bind(kind)
                    // No cursor: above every id (ids are 36 characters of hex and dashes).
                    .bind(before.map_or_else(|| String::from("ffffffff-ffff-ffff-ffff-ffffffffffff~"), |a| a.to_string()))
                    .bind(i64::from(limit))
                    .bind(filter.severity_min)
                    .bind(filter.since_s)
                    .bind(filter.until_s)
                    .bind(filter.area.map(|a| a.0))
                    .bind(filter.area.map(|a| a.1))
                    .bind(filter.area.map(|a| a.2))
                    .bind(filter.area.map(|a| a.3))
                    .bind(filter.mmsi.map(i64::from));
                for value in filter.classes.iter().chain(&filter.statuses).chain(audiences.unwrap_or_default()) {
                    query = query.bind(value.as_str());
                }
                query.fetch_all(&self.pool).await?.iter().map(record_from_row).collect()
            }

            /// The rows of one visible page (see [`visible_page_sql`]).
            async fn visible_rows(
                &self,
                list: RecordList,
                audiences: &[String],
                after: Option<RecordId>,
                filter: &AlertFilter,
                limit: u32,
            ) -> Result<Vec<DbRow>, StoreError> {
                if audiences.is_empty() {
                    return Ok(Vec::new());
                }
                let mut query = sqlx::query(sql_owned(visible_page_sql(list, audiences.len())))
                    .bind(list.as_str())
                    .bind(after.map(|a| a.to_string()).unwrap_or_default())
                    .bind(i64::from(limit))
                    .bind(filter.kind.clone())
                    .bind(filter.status.clone())
                    .bind(filter.mmsi.map(i64::from))
                    .bind(filter.since_s)
                    .bind(filter.severity.clone())
                    .bind(filter.zone.clone())
                    .bind(filter.area.map(|a| a.0))
                    .bind(filter.area.map(|a| a.1))
                    .bind(filter.area.map(|a| a.2))
                    .bind(filter.area.map(|a| a.3));
                for audience in audiences {
                    query = query.bind(audience.as_str());
                }
                Ok(query.fetch_all(&self.pool).await?)
            }

            async fn organization_where(
                &self,
                query: &'static str,
                key: String,
            ) -> Result<Option<Organization>, StoreError> {
                let Some(row) = sqlx::query($sql(query)).bind(key).fetch_optional(&self.pool).await? else {
                    return Ok(None);
                };
                let id: OrgId = parse(&row, "id")?;
                let communities = sqlx::query($sql(
                    "SELECT community FROM community_members WHERE org_id = $1 ORDER BY community",
                ))
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| parse(r, "community"))
                .collect::<Result<BTreeSet<_>, _>>()?;
                Ok(Some(Organization {
                    id,
                    name: text(&row, "name")?,
                    kind: parse(&row, "kind")?,
                    nation: parse(&row, "nation")?,
                    communities,
                    registered_at_us: int(&row, "registered_at_us")?,
                }))
            }
        }

        #[async_trait]
        impl Store for $Store {
            fn backend(&self) -> Backend {
                $backend
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query($sql("SELECT 1")).execute(&self.pool).await?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn register_node(&self, node: &NodeId, key: &PublicKey, local: bool) -> Result<(), StoreError> {
                sqlx::query($sql(
                    "INSERT INTO nodes (node_id, public_key, is_local) VALUES ($1, $2, $3) \
                     ON CONFLICT (node_id) DO UPDATE SET public_key = excluded.public_key, is_local = excluded.is_local",
                ))
                .bind(node.as_str())
                .bind(key.to_string())
                .bind(i64::from(local))
                .execute(&self.pool)
                .await
                .map_err(StoreError::from_write)?;
                Ok(())
            }

            async fn local_node(&self) -> Result<Option<(NodeId, PublicKey)>, StoreError> {
                let row = sqlx::query($sql("SELECT node_id, public_key FROM nodes WHERE is_local = 1"))
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| Ok((parse(&r, "node_id")?, public_key(&r)?))).transpose()
            }

            async fn node_keys(&self) -> Result<Vec<(NodeId, PublicKey)>, StoreError> {
                sqlx::query($sql("SELECT node_id, public_key FROM nodes"))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| Ok((parse(r, "node_id")?, public_key(r)?)))
                    .collect()
            }

            async fn append(
                &self,
                origin: &NodeId,
                key: &NodeKey,
                requests: &[AppendRequest],
            ) -> Result<Vec<Vec<Event>>, StoreError> {
                let mut tx = self.begin_write().await?;
                sqlx::query($sql(
                    "INSERT INTO chain_heads (origin, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (origin) DO NOTHING",
                ))
                .bind(origin.as_str())
                .bind(hex::encode(GENESIS_HASH))
                .execute(&mut *tx)
                .await?;
                let head = sqlx::query($sql(concat!("SELECT seq, hash FROM chain_heads WHERE origin = $1", $for_update)))
                    .bind(origin.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
                let mut seq = u64::try_from(int(&head, "seq")?).map_err(|_| StoreError::Corrupt("chain head".into()))?;
                let mut prev: Hash = fixed_hex::<32>(&head, "hash")?;
                let mut sealed_all = Vec::with_capacity(requests.len());
                for request in requests {
                    let mut sealed = Vec::with_capacity(request.events.len());
                    for unsigned in &request.events {
                        seq += 1;
                        let event = unsigned.clone().seal(origin, seq, prev, key);
                        let pos = insert_event(&mut tx, &event).await?;
                        apply(&mut tx, self.projector.as_ref(), &event).await?;
                        index_event(&mut tx, pos, &event).await?;
                        prev = event.hash;
                        sealed.push(event);
                    }
                    for write in &request.local {
                        local_write(&mut tx, write).await?;
                    }
                    sealed_all.push(sealed);
                }
                sqlx::query($sql("UPDATE chain_heads SET seq = $1, hash = $2 WHERE origin = $3"))
                    .bind(i64::try_from(seq).map_err(|_| StoreError::Corrupt("sequence overflow".into()))?)
                    .bind(hex::encode(prev))
                    .bind(origin.as_str())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(sealed_all)
            }

            async fn chain_heads(&self) -> Result<Vec<(NodeId, u64)>, StoreError> {
                sqlx::query($sql("SELECT origin, seq FROM chain_heads ORDER BY origin"))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        let seq = int(r, "seq")?;
                        Ok((parse(r, "origin")?, u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("head {seq}")))?))
                    })
                    .collect()
            }

            async fn event(&self, id: EventId) -> Result<Option<Event>, StoreError> {
                let row = sqlx::query($sql("SELECT * FROM events WHERE id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| event_from_row(&r)).transpose()
            }

            async fn events_after(
                &self,
                after_pos: i64,
                limit: u32,
            ) -> Result<Vec<(i64, Result<Event, CorruptEvent>)>, StoreError> {
                let rows = sqlx::query($sql("SELECT * FROM events WHERE pos > $1 ORDER BY pos LIMIT $2"))
                    .bind(after_pos)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok((int(r, "pos")?, event_from_row(r).map_err(|e| corrupt_event(r, e)))))
                    .collect()
            }

            async fn rebuild_projections(&self) -> Result<u64, StoreError> {
                let mut tx = self.begin_write().await?;
                for table in
                    ["organizations", "community_members", "users", "tokens", "advisories", "alerts", "zones", "watchlist_entries",
                     "record_audiences", "event_audiences", "records", "record_vessels"]
                {
                    // Table names come from the fixed list above, never from input.
                    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&mut *tx).await?;
                }
                let mut after = 0i64;
                let mut replayed = 0u64;
                loop {
                    let rows = sqlx::query($sql("SELECT * FROM events WHERE pos > $1 ORDER BY pos LIMIT $2"))
                        .bind(after)
                        .bind(REPLAY_PAGE)
                        .fetch_all(&mut *tx)
                        .await?;
                    let Some(last) = rows.last() else { break };
                    after = int(last, "pos")?;
                    for row in &rows {
                        let event = event_from_row(row).map_err(|e| StoreError::Corrupt(corrupt_event(row, e).to_string()))?;
                        apply(&mut tx, self.projector.as_ref(), &event).await?;
                        index_event(&mut tx, int(row, "pos")?, &event).await?;
                        replayed += 1;
                    }
                }
                tx.commit().await?;
                Ok(replayed)
            }

            async fn nations(&self) -> Result<Vec<(OrgId, hl_types::Nation)>, StoreError> {
                sqlx::query($sql("SELECT id, nation FROM organizations"))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| Ok((parse(r, "id")?, parse(r, "nation")?)))
                    .collect()
            }

            async fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
                let ids = sqlx::query($sql("SELECT id FROM organizations ORDER BY name"))
                    .fetch_all(&self.pool)
                    .await?;
                let mut out = Vec::with_capacity(ids.len());
                for row in ids {
                    let id: OrgId = parse(&row, "id")?;
                    if let Some(org) = self.organization(id).await? {
                        out.push(org);
                    }
                }
                Ok(out)
            }

            async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError> {
                self.organization_where("SELECT * FROM organizations WHERE id = $1", id.to_string()).await
            }

            async fn organization_by_name(&self, name: &str) -> Result<Option<Organization>, StoreError> {
                self.organization_where("SELECT * FROM organizations WHERE name = $1", name.to_owned()).await
            }

            async fn users_of(&self, org: OrgId) -> Result<Vec<User>, StoreError> {
                sqlx::query($sql("SELECT * FROM users WHERE org_id = $1 ORDER BY name"))
                    .bind(org.to_string())
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(user_from_row)
                    .collect()
            }

            async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
                let row = sqlx::query($sql("SELECT * FROM users WHERE id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| user_from_row(&r)).transpose()
            }

            async fn token(&self, id: TokenId) -> Result<Option<TokenRecord>, StoreError> {
                let row = sqlx::query($sql("SELECT * FROM tokens WHERE id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| token_from_row(&r)).transpose()
            }

            async fn tokens_of(&self, user: UserId) -> Result<Vec<TokenRecord>, StoreError> {
                sqlx::query($sql("SELECT * FROM tokens WHERE user_id = $1 ORDER BY id"))
                    .bind(user.to_string())
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(token_from_row)
                    .collect()
            }

            async fn token_by_secret_hash(
                &self,
                secret_hash: &str,
            ) -> Result<Option<(TokenRecord, Option<String>)>, StoreError> {
                let row = sqlx::query($sql(
                    "SELECT t.*, s.binding FROM tokens t JOIN token_secrets s ON s.token_id = t.id WHERE s.secret_hash = $1",
                ))
                .bind(secret_hash)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| Ok((token_from_row(&r)?, opt_text(&r, "binding")?))).transpose()
            }

            async fn token_secrets(&self) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
                sqlx::query($sql("SELECT token_id, secret_hash, binding FROM token_secrets ORDER BY token_id"))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| Ok((text(r, "token_id")?, text(r, "secret_hash")?, opt_text(r, "binding")?)))
                    .collect()
            }

            async fn bind_token_secret(&self, token: &str, binding: &str) -> Result<(), StoreError> {
                sqlx::query($sql("UPDATE token_secrets SET binding = $1 WHERE token_id = $2 AND binding IS NULL"))
                    .bind(binding)
                    .bind(token)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn advisory(&self, id: RecordId) -> Result<Option<Advisory>, StoreError> {
                let row = sqlx::query($sql("SELECT * FROM advisories WHERE id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| advisory_from_row(&r)).transpose()
            }

            async fn advisories_visible(
                &self,
                audiences: &[String],
                after: Option<RecordId>,
                limit: u32,
            ) -> Result<Vec<Advisory>, StoreError> {
                self.visible_rows(RecordList::Advisories, audiences, after, &AlertFilter::default(), limit)
                    .await?
                    .iter()
                    .map(advisory_from_row)
                    .collect()
            }

            async fn alerts_visible(
                &self,
                audiences: &[String],
                filter: &AlertFilter,
                after: Option<RecordId>,
                limit: u32,
            ) -> Result<Vec<AlertRecord>, StoreError> {
                self.visible_rows(RecordList::Alerts, audiences, after, filter, limit)
                    .await?
                    .iter()
                    .map(alert_from_row)
                    .collect()
            }

            async fn zones_visible(
                &self,
                audiences: &[String],
                after: Option<RecordId>,
                limit: u32,
            ) -> Result<Vec<ZoneRecord>, StoreError> {
                self.visible_rows(RecordList::Zones, audiences, after, &AlertFilter::default(), limit)
                    .await?
                    .iter()
                    .map(zone_from_row)
                    .collect()
            }

            async fn watchlist_visible(
                &self,
                audiences: &[String],
                after: Option<RecordId>,
                limit: u32,
            ) -> Result<Vec<WatchlistRecord>, StoreError> {
                self.visible_rows(RecordList::Watchlist, audiences, after, &AlertFilter::default(), limit)
                    .await?
                    .iter()
                    .map(watchlist_from_row)
                    .collect()
            }

            async fn events_visible(
                &self,
                audiences: &[String],
                after_pos: i64,
                limit: u32,
            ) -> Result<Vec<(i64, Result<Event, CorruptEvent>)>, StoreError> {
                if audiences.is_empty() {
                    return Ok(Vec::new());
                }
                let ranges: Vec<String> = (0..audiences.len())
                    .map(|i| {
                        format!(
                            "SELECT pos FROM (SELECT pos FROM event_audiences WHERE audience = ${} AND pos > $1 \
                             ORDER BY pos LIMIT $2) r{i}",
                            i + 3
                        )
                    })
                    .collect();
                let text = format!("SELECT * FROM events WHERE pos IN ({}) ORDER BY pos LIMIT $2", ranges.join(" UNION "));
                let mut query = sqlx::query(sql_owned(text)).bind(after_pos).bind(i64::from(limit));
                for audience in audiences {
                    query = query.bind(audience.as_str());
                }
                let rows = query.fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| Ok((int(r, "pos")?, event_from_row(r).map_err(|e| corrupt_event(r, e)))))
                    .collect()
            }

            async fn event_position(&self, id: EventId) -> Result<Option<i64>, StoreError> {
                let row = sqlx::query($sql("SELECT pos FROM events WHERE id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| int(&r, "pos")).transpose()
            }

            async fn audiences_indexed(&self) -> Result<bool, StoreError> {
                let events = sqlx::query($sql("SELECT pos FROM events LIMIT 1")).fetch_optional(&self.pool).await?;
                let indexed = sqlx::query($sql("SELECT pos FROM event_audiences LIMIT 1")).fetch_optional(&self.pool).await?;
                Ok(events.is_none() || indexed.is_some())
            }

            async fn alert(&self, id: RecordId) -> Result<Option<AlertRecord>, StoreError> {
                let row = sqlx::query($sql("SELECT * FROM alerts WHERE id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| alert_from_row(&r)).transpose()
            }

            async fn alerts_after(
                &self,
                after: Option<RecordId>,
                filter: &AlertFilter,
                limit: u32,
            ) -> Result<Vec<AlertRecord>, StoreError> {
                sqlx::query($sql(
                    "SELECT * FROM alerts WHERE id > $1 AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR status = $3) \
                     AND ($4 IS NULL OR mmsi = $4) AND ($5 IS NULL OR end_s >= $5) ORDER BY id LIMIT $6",
                ))
                .bind(after.map(|a| a.to_string()).unwrap_or_default())
                .bind(filter.kind.clone())
                .bind(filter.status.clone())
                .bind(filter.mmsi.map(i64::from))
                .bind(filter.since_s)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(alert_from_row)
                .collect()
            }

            async fn zones(&self) -> Result<Vec<ZoneRecord>, StoreError> {
                sqlx::query($sql("SELECT * FROM zones ORDER BY id"))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(zone_from_row)
                    .collect()
            }

            async fn zone(&self, id: RecordId) -> Result<Option<ZoneRecord>, StoreError> {
                let row = sqlx::query($sql("SELECT * FROM zones WHERE id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| zone_from_row(&r)).transpose()
            }

            async fn watchlist(&self) -> Result<Vec<WatchlistRecord>, StoreError> {
                sqlx::query($sql("SELECT * FROM watchlist_entries ORDER BY id"))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(watchlist_from_row)
                    .collect()
            }

            async fn watchlist_entry(&self, id: RecordId) -> Result<Option<WatchlistRecord>, StoreError> {
                let row = sqlx::query($sql("SELECT * FROM watchlist_entries WHERE id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| watchlist_from_row(&r)).transpose()
            }

            async fn record(&self, id: RecordId) -> Result<Option<StoredRecord>, StoreError> {
                let row = sqlx::query($sql("SELECT * FROM records WHERE id = $1")).bind(id.to_string()).fetch_optional(&self.pool).await?;
                row.map(|row| record_from_row(&row)).transpose()
            }

            async fn records_visible(
                &self,
                kind: &str,
                audiences: &[String],
                filter: &RecordFilter,
                before: Option<RecordId>,
                limit: u32,
            ) -> Result<Vec<StoredRecord>, StoreError> {
                if audiences.is_empty() {
                    return Ok(Vec::new());
                }
                self.records_page(kind, Some(audiences), filter, before, limit).await
            }

            async fn records_after(
                &self,
                kind: &str,
                filter: &RecordFilter,
                before: Option<RecordId>,
                limit: u32,
            ) -> Result<Vec<StoredRecord>, StoreError> {
                self.records_page(kind, None, filter, before, limit).await
            }

            async fn attachment(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
                let row = sqlx::query($sql("SELECT media_type, content FROM attachments WHERE sha256 = $1"))
                    .bind(sha256)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    let content: Vec<u8> = r.try_get("content").map_err(|e| StoreError::Corrupt(format!("content: {e}")))?;
                    Ok((text(&r, "media_type")?, content))
                })
                .transpose()
            }

            async fn attachments_after(&self, after: &str, limit: u32) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
                sqlx::query($sql("SELECT sha256, content FROM attachments WHERE sha256 > $1 ORDER BY sha256 LIMIT $2"))
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        let content: Vec<u8> =
                            r.try_get("content").map_err(|e| StoreError::Corrupt(format!("content: {e}")))?;
                        Ok((text(r, "sha256")?, content))
                    })
                    .collect()
            }

            async fn record_reads(
                &self,
                record: RecordId,
                after: Option<RecordId>,
                limit: u32,
            ) -> Result<Vec<crate::RecordRead>, StoreError> {
                sqlx::query($sql(
                    "SELECT * FROM record_reads WHERE record_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                ))
                .bind(record.to_string())
                .bind(after.map(|a| a.to_string()).unwrap_or_default())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(crate::RecordRead {
                        id: parse(r, "id")?,
                        record: parse(r, "record_id")?,
                        reader_org: opt_text(r, "reader_org")?.map(|o| o.parse()).transpose().map_err(|_| StoreError::Corrupt("reader_org".into()))?,
                        reader_user: opt_text(r, "reader_user")?.map(|u| u.parse()).transpose().map_err(|_| StoreError::Corrupt("reader_user".into()))?,
                        at_us: int(r, "at_us")?,
                        what: text(r, "what")?,
                    })
                })
                .collect()
            }

            async fn record_events(&self, record_type: &str, record_id: &str) -> Result<Vec<Event>, StoreError> {
                sqlx::query($sql("SELECT * FROM events WHERE record_type = $1 AND record_id = $2 ORDER BY pos"))
                    .bind(record_type)
                    .bind(record_id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(event_from_row)
                    .collect()
            }

            async fn load_tracks(&self, after: u32, limit: u32) -> Result<Vec<(u32, String)>, StoreError> {
                sqlx::query($sql("SELECT mmsi, track FROM vessel_tracks WHERE mmsi > $1 ORDER BY mmsi LIMIT $2"))
                    .bind(i64::from(after))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        let mmsi = int(r, "mmsi")?;
                        Ok((u32::try_from(mmsi).map_err(|_| StoreError::Corrupt(format!("mmsi {mmsi}")))?, text(r, "track")?))
                    })
                    .collect()
            }

            async fn feed_position(&self, feed: &str) -> Result<Option<(String, u64)>, StoreError> {
                let row = sqlx::query($sql("SELECT identity, byte_offset FROM feed_positions WHERE feed = $1"))
                    .bind(feed)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    let offset = int(&r, "byte_offset")?;
                    let offset = u64::try_from(offset).map_err(|_| StoreError::Corrupt(format!("byte_offset {offset}")))?;
                    Ok((text(&r, "identity")?, offset))
                })
                .transpose()
            }
        }

        fn public_key(row: &DbRow) -> Result<PublicKey, StoreError> {
            let value = text(row, "public_key")?;
            PublicKey::from_hex(&value).map_err(|e| StoreError::Corrupt(format!("public_key: {e}")))
        }
    };
}

pub(crate) use sql_store;
