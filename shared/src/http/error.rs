//! The one error type of the HTTP layer and its single mapping to HTTP:
//! status, stable code and message. The domain's [`Invalid`] and the
//! store's [`StoreError`] become one of these here and nowhere else.

use crate::domain::Invalid;
use crate::store::StoreError;
use lambda_http::http::StatusCode;
use serde::Serialize;

/// Everything a request can fail with. Each variant carries exactly one
/// HTTP status, code and message, decided in its row of the error table
/// ([`AppError::row`]) and nowhere else.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("body not sent as JSON")]
    UnsupportedMediaType,
    #[error("URI too long")]
    UriTooLong,
    #[error("unknown concert")]
    ConcertNotFound,
    #[error("unknown schedule")]
    ScheduleNotFound,
    #[error("unknown seat")]
    SeatNotFound,
    #[error("unknown reservation")]
    ReservationNotFound,
    #[error("route not found")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("missing or invalid token")]
    Unauthorized,
    #[error("token not allowed here")]
    Forbidden,
    #[error("token not active yet")]
    TokenNotActive,
    #[error("reservation belongs to another user")]
    NotYourReservation,
    #[error("token already exists")]
    TokenExists,
    #[error("token of another concert's room")]
    TokenScope,
    #[error("concert has no waiting room")]
    RoomNotFound,
    #[error("room already open")]
    RoomOpened,
    #[error("seat already reserved")]
    SeatTaken,
    #[error("ticket limit reached")]
    TicketLimit,
    #[error("schedule cancelled")]
    ScheduleCancelled,
    #[error("sale not open yet")]
    SaleNotOpen,
    #[error("sale closed")]
    SaleClosed,
    #[error("organiser credentials missing or wrong")]
    AdminUnauthorized,
    #[error("request did not come through the edge")]
    NotThroughEdge,
    #[error("identity token missing or invalid")]
    IdentityInvalid,
    #[error("identity names another user")]
    IdentityMismatch,
    #[error("reservation cannot be cancelled")]
    NotCancellable,
    #[error("refund period over")]
    RefundClosed,
    #[error("amount mismatch")]
    AmountMismatch,
    #[error("reservation not payable")]
    NotPayable,
    #[error("hold expired")]
    HoldExpired,
    #[error("insufficient points")]
    InsufficientPoints,
    #[error("balance limit")]
    BalanceLimit,
    #[error("idempotency key reused with another body")]
    IdempotencyMismatch,
    #[error("idempotent request still in progress")]
    IdempotencyInProgress,
    #[error("not found")]
    NotFound,
    #[error("points come only from the payment provider")]
    ChargeViaProvider,
    #[error("top-up belongs to another user")]
    TopupForbidden,
    #[error("amount differs from the order's")]
    TopupAmountMismatch,
    #[error("top-up cannot be confirmed")]
    TopupClosed,
    #[error("payment declined by the provider: {0}")]
    PaymentDeclined(String),
    #[error("too many pending top-ups")]
    TopupPendingLimit,
    #[error("withdrawal belongs to another user")]
    WithdrawalForbidden,
    #[error("withdrawal exceeds what is refundable")]
    WithdrawalExceedsRefundable,
    #[error("busy: {0}")]
    Busy(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Seconds a busy answer asks the client to wait (`Retry-After`).
pub const BUSY_RETRY_AFTER_SECONDS: u64 = 1;

/// The error body of the API contract: `{"status","message"}` plus a stable
/// machine-readable `code`.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub status: String,
    pub message: String,
    pub code: String,
    /// `PAYMENT_DECLINED` only: the provider's own code for the refusal.
    #[serde(
        default,
        rename = "providerCode",
        skip_serializing_if = "Option::is_none"
    )]
    pub provider_code: Option<String>,
}

/// The refusals of an identity route in `AUTH_MODE=jwt` (SPEC §8), as the
/// OpenAPI document lists them on every such route.
#[cfg(feature = "openapi")]
#[derive(utoipa::IntoResponses)]
pub enum IdentityRefusals {
    /// AUTH_MODE=jwt: identity token missing, malformed, forged or expired (in AWS the JWT authorizer's own 401 body)
    #[response(status = 401)]
    Invalid(ErrorBody),
    /// AUTH_MODE=jwt: the identity token names another user (IDENTITY_MISMATCH)
    #[response(status = 403)]
    Mismatch(ErrorBody),
}

/// The refusals of every route that reads a JSON body, as the OpenAPI
/// document lists them on each.
#[cfg(feature = "openapi")]
#[derive(utoipa::IntoResponses)]
pub enum JsonBodyRefusals {
    /// Body over 64 KiB
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// A body sent as anything but JSON
    #[response(status = 415)]
    NotJson(ErrorBody),
}

impl AppError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        AppError::BadRequest(msg.into())
    }

    /// A failure of ours, with where it was noticed for the log.
    #[track_caller]
    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(format!("{e} (at {})", std::panic::Location::caller()))
    }

    /// The error table: each variant's status, stable code (for clients
    /// that branch on errors) and user-facing message (the seed's Korean
    /// wording where it has one). Nothing else decides them.
    #[rustfmt::skip]
    fn row(&self) -> (StatusCode, &'static str, &'static str) {
        use AppError::*;
        use StatusCode as S;
        match self {
            BadRequest(_) => (S::BAD_REQUEST, "INVALID_REQUEST", "잘못된 요청입니다"),
            PayloadTooLarge => (S::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "요청 본문이 너무 큽니다. (최대 64KiB)"),
            UnsupportedMediaType => (S::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", "요청 본문은 Content-Type: application/json으로 보내야 합니다."),
            UriTooLong => (S::URI_TOO_LONG, "URI_TOO_LONG", "요청 URI가 너무 깁니다. (최대 8KiB)"),
            ConcertNotFound => (S::NOT_FOUND, "CONCERT_NOT_FOUND", "등록되지 않은 콘서트입니다."),
            ScheduleNotFound => (S::NOT_FOUND, "SCHEDULE_NOT_FOUND", "등록되지 않은 공연 일정입니다."),
            SeatNotFound => (S::NOT_FOUND, "SEAT_NOT_FOUND", "등록되지 않은 좌석입니다."),
            ReservationNotFound => (S::NOT_FOUND, "RESERVATION_NOT_FOUND", "존재하지 않는 예약 내역입니다."),
            RouteNotFound => (S::NOT_FOUND, "ROUTE_NOT_FOUND", "요청한 경로를 찾을 수 없습니다."),
            MethodNotAllowed => (S::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "허용되지 않은 메서드입니다."),
            Unauthorized => (S::UNAUTHORIZED, "TOKEN_INVALID", "유효하지 않은 토큰입니다."),
            Forbidden => (S::FORBIDDEN, "TOKEN_FORBIDDEN", "권한이 없는 토큰입니다."),
            TokenNotActive => (S::FORBIDDEN, "TOKEN_NOT_ACTIVE", "아직 대기 중인 토큰입니다."),
            NotYourReservation => (S::FORBIDDEN, "RESERVATION_FORBIDDEN", "본인의 예약 내역이 아닙니다."),
            TokenExists => (S::CONFLICT, "TOKEN_EXISTS", "이미 토큰이 존재합니다."),
            TokenScope => (S::FORBIDDEN, "TOKEN_SCOPE", "다른 공연의 대기열 토큰입니다."),
            RoomNotFound => (S::NOT_FOUND, "ROOM_NOT_FOUND", "대기실이 없는 공연입니다."),
            RoomOpened => (S::CONFLICT, "ROOM_OPENED", "이미 열린 대기실입니다."),
            SeatTaken => (S::CONFLICT, "SEAT_TAKEN", "이미 예약된 좌석입니다."),
            TicketLimit => (S::CONFLICT, "TICKET_LIMIT", "1인당 예매 가능 매수를 초과했습니다."),
            ScheduleCancelled => (S::CONFLICT, "SCHEDULE_CANCELLED", "취소된 공연입니다."),
            SaleNotOpen => (S::CONFLICT, "SALE_NOT_OPEN", "예매 가능한 시간이 아닙니다."),
            SaleClosed => (S::CONFLICT, "SALE_CLOSED", "예매 가능한 시간이 아닙니다."),
            AdminUnauthorized => (S::UNAUTHORIZED, "ADMIN_UNAUTHORIZED", "관리자 인증이 필요합니다."),
            NotThroughEdge => (S::FORBIDDEN, "EDGE_REQUIRED", "허용되지 않은 경로의 요청입니다."),
            IdentityInvalid => (S::UNAUTHORIZED, "IDENTITY_INVALID", "인증 정보가 유효하지 않습니다."),
            IdentityMismatch => (S::FORBIDDEN, "IDENTITY_MISMATCH", "본인만 요청할 수 있습니다."),
            NotCancellable => (S::CONFLICT, "NOT_CANCELLABLE", "취소할 수 없는 예약입니다."),
            RefundClosed => (S::CONFLICT, "REFUND_CLOSED", "취소 가능 기간이 지났습니다."),
            AmountMismatch => (S::BAD_REQUEST, "AMOUNT_MISMATCH", "결제 금액이 일치하지 않습니다."),
            NotPayable => (S::CONFLICT, "NOT_PAYABLE", "결제할 수 없는 예약 내역입니다."),
            HoldExpired => (S::GONE, "HOLD_EXPIRED", "임시 예약 시간이 만료되었습니다."),
            InsufficientPoints => (S::PAYMENT_REQUIRED, "INSUFFICIENT_POINTS", "잔액이 부족합니다."),
            BalanceLimit => (S::BAD_REQUEST, "BALANCE_LIMIT", "보유 가능한 최대 포인트를 초과합니다."),
            IdempotencyMismatch => (S::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_REUSED", "같은 Idempotency-Key로 다른 요청을 보낼 수 없습니다."),
            IdempotencyInProgress => (S::CONFLICT, "IDEMPOTENCY_IN_PROGRESS", "같은 Idempotency-Key의 요청이 처리 중입니다."),
            NotFound => (S::NOT_FOUND, "NOT_FOUND", "요청한 대상을 찾을 수 없습니다."),
            ChargeViaProvider => (S::FORBIDDEN, "CHARGE_VIA_PROVIDER", "포인트는 결제로만 충전할 수 있습니다."),
            TopupForbidden => (S::FORBIDDEN, "TOPUP_FORBIDDEN", "본인의 충전 주문이 아닙니다."),
            TopupAmountMismatch => (S::BAD_REQUEST, "AMOUNT_MISMATCH", "결제 금액이 주문 금액과 다릅니다."),
            TopupClosed => (S::CONFLICT, "TOPUP_CLOSED", "충전할 수 없는 주문입니다."),
            PaymentDeclined(_) => (S::PAYMENT_REQUIRED, "PAYMENT_DECLINED", "결제가 승인되지 않았습니다."),
            TopupPendingLimit => (S::CONFLICT, "TOPUP_PENDING_LIMIT", "진행 중인 충전이 너무 많습니다."),
            WithdrawalForbidden => (S::FORBIDDEN, "WITHDRAWAL_FORBIDDEN", "본인의 환불 요청이 아닙니다."),
            WithdrawalExceedsRefundable => (S::CONFLICT, "WITHDRAWAL_EXCEEDS_REFUNDABLE", "환불 가능한 금액을 초과했습니다."),
            Busy(_) => (S::SERVICE_UNAVAILABLE, "BUSY", "요청이 많아 처리하지 못했습니다. 잠시 후 다시 시도해 주세요."),
            Internal(_) => (S::INTERNAL_SERVER_ERROR, "INTERNAL", "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.row().0
    }

    pub fn code(&self) -> &'static str {
        self.row().1
    }

    /// The user-facing message; a 400 says what was wrong.
    pub fn message(&self) -> String {
        match self {
            AppError::BadRequest(m) => format!("{}: {m}", self.row().2),
            _ => self.row().2.to_string(),
        }
    }

    pub fn body(&self) -> ErrorBody {
        let status = self.status();
        ErrorBody {
            status: reason_name(status),
            message: self.message(),
            code: self.code().to_string(),
            provider_code: match self {
                AppError::PaymentDeclined(code) => Some(code.clone()),
                _ => None,
            },
        }
    }
}

impl From<Invalid> for AppError {
    fn from(e: Invalid) -> Self {
        AppError::BadRequest(e.0)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            // Another request with the same key owns the record now.
            StoreError::ClaimLost => AppError::IdempotencyInProgress,
            // Ids are redrawn before it comes to this; failing here means
            // the random source is broken.
            StoreError::IdTaken | StoreError::Failed { .. } => AppError::Internal(e.to_string()),
            StoreError::Busy { .. } => AppError::Busy(e.to_string()),
        }
    }
}

/// `404 Not Found` → `NOT_FOUND`, as the seed spells statuses.
fn reason_name(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("ERROR")
        .to_ascii_uppercase()
        .replace([' ', '-'], "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_bodies() {
        let b = AppError::ConcertNotFound.body();
        assert_eq!(b.status, "NOT_FOUND");
        assert_eq!(b.message, "등록되지 않은 콘서트입니다.");
        assert_eq!(
            AppError::InsufficientPoints.body().status,
            "PAYMENT_REQUIRED"
        );
        assert_eq!(AppError::HoldExpired.body().status, "GONE");
        assert_eq!(AppError::SeatTaken.body().status, "CONFLICT");
        assert_eq!(
            AppError::IdempotencyMismatch.body().status,
            "UNPROCESSABLE_ENTITY"
        );
        assert_eq!(AppError::PayloadTooLarge.body().status, "PAYLOAD_TOO_LARGE");
        let busy = AppError::Busy(String::new()).body();
        assert_eq!(busy.status, "SERVICE_UNAVAILABLE");
        assert_eq!(busy.code, "BUSY");
        assert_eq!(
            busy.message,
            "요청이 많아 처리하지 못했습니다. 잠시 후 다시 시도해 주세요."
        );
    }
}
