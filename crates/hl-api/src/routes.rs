//! Resource handlers under `/api/v1`. Each asks `hl-node`, which applies the policy.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hl_node::{Actor, AdvisoryDraft, AdvisoryPatch};
use hl_types::{EventId, OrgId, RecordId, TokenId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::dto::*;
use crate::extract::{ApiJson, ApiQuery, Caller, path_param};
use crate::problem::{ApiError, FieldLocation, Problem};

const PAGE_DEFAULT: u32 = 100;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me))
        .routes(routes!(list_organizations))
        .routes(routes!(get_organization))
        .routes(routes!(list_users, create_user))
        .routes(routes!(create_token, list_tokens))
        .routes(routes!(revoke_token))
        .routes(routes!(list_advisories, create_advisory))
        .routes(routes!(get_advisory, update_advisory))
        .routes(routes!(list_events))
        .routes(routes!(get_event))
}

pub(crate) fn limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(PAGE_DEFAULT),
        Some(n @ 1..=500) => Ok(n),
        Some(_) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", "limit must be 1 to 500")
            .at(FieldLocation::Query, "limit")),
    }
}

/// Who am I: the caller's user and organization.
#[utoipa::path(get, path = "/me", tag = "access", security(("bearer" = [])),
    responses((status = 200, body = MeView), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn get_me(State(state): State<AppState>, Caller(subject): Caller) -> Result<Json<MeView>, ApiError> {
    let users = state.node.users(&subject, subject.org).await?;
    let user = users.into_iter().find(|u| u.id == subject.user).ok_or_else(ApiError::not_found)?;
    let organization = state.node.organization(subject.org).await?;
    Ok(Json(MeView { user: user.into(), organization: organization.into() }))
}

/// The organization directory.
#[utoipa::path(get, path = "/organizations", tag = "directory", security(("bearer" = [])),
    responses((status = 200, body = Vec<OrganizationView>), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn list_organizations(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<OrganizationView>>, ApiError> {
    Ok(Json(state.node.organizations().await?.into_iter().map(Into::into).collect()))
}

/// One organization.
#[utoipa::path(get, path = "/organizations/{id}", tag = "directory", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Organization id")),
    responses((status = 200, body = OrganizationView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_organization(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<OrganizationView>, ApiError> {
    let id: OrgId = path_param("id", &id)?;
    Ok(Json(state.node.organization(id).await?.into()))
}

/// The users of the caller's own organization.
#[utoipa::path(get, path = "/organizations/{id}/users", tag = "access", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Organization id")),
    responses((status = 200, body = Vec<UserView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_users(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let id: OrgId = path_param("id", &id)?;
    Ok(Json(state.node.users(&subject, id).await?.into_iter().map(Into::into).collect()))
}

/// Creates a user in the caller's organization (administrators); returns their first token once.
#[utoipa::path(post, path = "/organizations/{id}/users", tag = "access", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Organization id")), request_body = NewUser,
    responses((status = 201, body = NewUserView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_user(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<NewUserView>), ApiError> {
    let id: OrgId = path_param("id", &id)?;
    let (user, token) = state.node.register_user(Actor::User(&subject), id, &body.name, body.role).await?;
    let token = IssuedTokenView { token: token.record.into(), secret: token.secret };
    Ok((StatusCode::CREATED, Json(NewUserView { user: user.into(), token })))
}

/// Issues another token for a user (oneself, or as administrator a user of one's organization).
#[utoipa::path(post, path = "/users/{id}/tokens", tag = "access", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id")), request_body = NewToken,
    responses((status = 201, body = IssuedTokenView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn create_token(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<IssuedTokenView>), ApiError> {
    let id: UserId = path_param("id", &id)?;
    let issued = state.node.issue_token(Actor::User(&subject), id, &body.label).await?;
    Ok((StatusCode::CREATED, Json(IssuedTokenView { token: issued.record.into(), secret: issued.secret })))
}

/// A user's tokens, without their secrets (oneself, or as administrator a user of one's
/// organization).
#[utoipa::path(get, path = "/users/{id}/tokens", tag = "access", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses((status = 200, body = Vec<TokenView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_tokens(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let id: UserId = path_param("id", &id)?;
    Ok(Json(state.node.tokens(Actor::User(&subject), id).await?.into_iter().map(Into::into).collect()))
}

/// Revokes a token.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "access", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Token id")),
    responses((status = 200, body = TokenView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn revoke_token(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
) -> Result<Json<TokenView>, ApiError> {
    let id: TokenId = path_param("id", &id)?;
    Ok(Json(state.node.revoke_token(Actor::User(&subject), id).await?.into()))
}

/// Advisories the caller may see, oldest first.
#[utoipa::path(get, path = "/advisories", tag = "advisories", security(("bearer" = [])), params(RecordPageQuery),
    responses((status = 200, body = Page<AdvisoryView>), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn list_advisories(
    State(state): State<AppState>,
    Caller(subject): Caller,
    ApiQuery(q): ApiQuery<RecordPageQuery>,
) -> Result<Json<Page<AdvisoryView>>, ApiError> {
    Ok(Json(Page::from(state.node.advisories(&subject, q.after, limit(q.limit)?).await?)))
}

/// Shares a new advisory (operators; TLP:RED needs a security officer).
#[utoipa::path(post, path = "/advisories", tag = "advisories", security(("bearer" = [])), request_body = NewAdvisory,
    responses((status = 201, body = AdvisoryView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_advisory(
    State(state): State<AppState>,
    Caller(subject): Caller,
    ApiJson(body): ApiJson<NewAdvisory>,
) -> Result<(StatusCode, Json<AdvisoryView>), ApiError> {
    let draft = AdvisoryDraft {
        title: body.title,
        body: body.body,
        severity: body.severity,
        releasability: body.releasability,
    };
    Ok((StatusCode::CREATED, Json(state.node.publish_advisory(&subject, draft).await?.into())))
}

/// One advisory.
#[utoipa::path(get, path = "/advisories/{id}", tag = "advisories", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Advisory id")),
    responses((status = 200, body = AdvisoryView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_advisory(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
) -> Result<Json<AdvisoryView>, ApiError> {
    let id: RecordId = path_param("id", &id)?;
    Ok(Json(state.node.advisory(&subject, id).await?.into()))
}

/// Revises an advisory the caller's organization owns.
#[utoipa::path(patch, path = "/advisories/{id}", tag = "advisories", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Advisory id")), request_body = AdvisoryPatchBody,
    responses((status = 200, body = AdvisoryView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Revised by someone else meanwhile: read it again and retry", body = Problem, content_type = "application/problem+json")))]
async fn update_advisory(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AdvisoryPatchBody>,
) -> Result<Json<AdvisoryView>, ApiError> {
    let id: RecordId = path_param("id", &id)?;
    let patch = AdvisoryPatch {
        title: body.title,
        body: body.body,
        severity: body.severity,
        releasability: body.releasability,
    };
    Ok(Json(state.node.revise_advisory(&subject, id, patch).await?.into()))
}

/// The event log as far as the caller may see it, in log order.
#[utoipa::path(get, path = "/events", tag = "events", security(("bearer" = [])), params(LogPageQuery),
    responses((status = 200, body = Page<EventView>), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`after` names no event the caller may see", body = Problem, content_type = "application/problem+json")))]
async fn list_events(
    State(state): State<AppState>,
    Caller(subject): Caller,
    ApiQuery(q): ApiQuery<LogPageQuery>,
) -> Result<Json<Page<EventView>>, ApiError> {
    let page = state.node.events(&subject, q.after, limit(q.limit)?).await?;
    Ok(Json(Page { items: page.items.into_iter().map(EventView::from).collect(), next: page.next }))
}

/// One event.
#[utoipa::path(get, path = "/events/{id}", tag = "events", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Event id")),
    responses((status = 200, body = EventView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_event(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
) -> Result<Json<EventView>, ApiError> {
    let id: EventId = path_param("id", &id)?;
    Ok(Json(state.node.logged_event(&subject, id).await?.into()))
}
