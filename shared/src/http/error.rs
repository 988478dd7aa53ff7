//! The one error type of the HTTP layer and its single mapping to HTTP:
//! status, stable code and message. The domain's [`Invalid`] and the
//! store's [`StoreError`] become one of these here and nowhere else.

use crate::domain::Invalid;
use crate::store::StoreError;
use lambda_http::http::StatusCode;
use serde::Serialize;

/// Everything a request can fail with. Each variant carries exactly one
/// HTTP status and one message, decided in [`AppError::status`] and
/// [`AppError::message`] and nowhere else.
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

    pub fn status(&self) -> StatusCode {
        use AppError::*;
        match self {
            BadRequest(_) | AmountMismatch | BalanceLimit => StatusCode::BAD_REQUEST,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            UriTooLong => StatusCode::URI_TOO_LONG,
            ConcertNotFound | ScheduleNotFound | SeatNotFound | ReservationNotFound
            | RouteNotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Unauthorized | AdminUnauthorized | IdentityInvalid => StatusCode::UNAUTHORIZED,
            Forbidden | TokenNotActive | NotYourReservation | IdentityMismatch | NotThroughEdge => {
                StatusCode::FORBIDDEN
            }
            TokenExists
            | SeatTaken
            | TicketLimit
            | NotPayable
            | IdempotencyInProgress
            | ScheduleCancelled
            | SaleNotOpen
            | SaleClosed
            | NotCancellable
            | RefundClosed => StatusCode::CONFLICT,
            HoldExpired => StatusCode::GONE,
            InsufficientPoints => StatusCode::PAYMENT_REQUIRED,
            IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable code for clients that branch on errors.
    pub fn code(&self) -> &'static str {
        use AppError::*;
        match self {
            BadRequest(_) => "INVALID_REQUEST",
            PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            UriTooLong => "URI_TOO_LONG",
            ConcertNotFound => "CONCERT_NOT_FOUND",
            ScheduleNotFound => "SCHEDULE_NOT_FOUND",
            SeatNotFound => "SEAT_NOT_FOUND",
            ReservationNotFound => "RESERVATION_NOT_FOUND",
            RouteNotFound => "ROUTE_NOT_FOUND",
            MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Unauthorized => "TOKEN_INVALID",
            Forbidden => "TOKEN_FORBIDDEN",
            TokenNotActive => "TOKEN_NOT_ACTIVE",
            NotYourReservation => "RESERVATION_FORBIDDEN",
            TokenExists => "TOKEN_EXISTS",
            SeatTaken => "SEAT_TAKEN",
            TicketLimit => "TICKET_LIMIT",
            ScheduleCancelled => "SCHEDULE_CANCELLED",
            SaleNotOpen => "SALE_NOT_OPEN",
            SaleClosed => "SALE_CLOSED",
            AdminUnauthorized => "ADMIN_UNAUTHORIZED",
            NotThroughEdge => "EDGE_REQUIRED",
            IdentityInvalid => "IDENTITY_INVALID",
            IdentityMismatch => "IDENTITY_MISMATCH",
            NotCancellable => "NOT_CANCELLABLE",
            RefundClosed => "REFUND_CLOSED",
            AmountMismatch => "AMOUNT_MISMATCH",
            NotPayable => "NOT_PAYABLE",
            HoldExpired => "HOLD_EXPIRED",
            InsufficientPoints => "INSUFFICIENT_POINTS",
            BalanceLimit => "BALANCE_LIMIT",
            IdempotencyMismatch => "IDEMPOTENCY_KEY_REUSED",
            IdempotencyInProgress => "IDEMPOTENCY_IN_PROGRESS",
            Busy(_) => "BUSY",
            Internal(_) => "INTERNAL",
        }
    }

    /// The user-facing message; the seed's Korean wording where it has one.
    pub fn message(&self) -> String {
        use AppError::*;
        match self {
            BadRequest(m) => format!("잘못된 요청입니다: {m}"),
            PayloadTooLarge => "요청 본문이 너무 큽니다. (최대 64KiB)".into(),
            UnsupportedMediaType => {
                "요청 본문은 Content-Type: application/json으로 보내야 합니다.".into()
            }
            UriTooLong => "요청 URI가 너무 깁니다. (최대 8KiB)".into(),
            ConcertNotFound => "등록되지 않은 콘서트입니다.".into(),
            ScheduleNotFound => "등록되지 않은 공연 일정입니다.".into(),
            SeatNotFound => "등록되지 않은 좌석입니다.".into(),
            ReservationNotFound => "존재하지 않는 예약 내역입니다.".into(),
            RouteNotFound => "요청한 경로를 찾을 수 없습니다.".into(),
            MethodNotAllowed => "허용되지 않은 메서드입니다.".into(),
            Unauthorized => "유효하지 않은 토큰입니다.".into(),
            Forbidden => "권한이 없는 토큰입니다.".into(),
            TokenNotActive => "아직 대기 중인 토큰입니다.".into(),
            NotYourReservation => "본인의 예약 내역이 아닙니다.".into(),
            TokenExists => "이미 토큰이 존재합니다.".into(),
            SeatTaken => "이미 예약된 좌석입니다.".into(),
            TicketLimit => "1인당 예매 가능 매수를 초과했습니다.".into(),
            ScheduleCancelled => "취소된 공연입니다.".into(),
            SaleNotOpen | SaleClosed => "예매 가능한 시간이 아닙니다.".into(),
            AdminUnauthorized => "관리자 인증이 필요합니다.".into(),
            NotThroughEdge => "허용되지 않은 경로의 요청입니다.".into(),
            IdentityInvalid => "인증 정보가 유효하지 않습니다.".into(),
            IdentityMismatch => "본인만 요청할 수 있습니다.".into(),
            NotCancellable => "취소할 수 없는 예약입니다.".into(),
            RefundClosed => "취소 가능 기간이 지났습니다.".into(),
            AmountMismatch => "결제 금액이 일치하지 않습니다.".into(),
            NotPayable => "결제할 수 없는 예약 내역입니다.".into(),
            HoldExpired => "임시 예약 시간이 만료되었습니다.".into(),
            InsufficientPoints => "잔액이 부족합니다.".into(),
            BalanceLimit => "보유 가능한 최대 포인트를 초과합니다.".into(),
            IdempotencyMismatch => "같은 Idempotency-Key로 다른 요청을 보낼 수 없습니다.".into(),
            IdempotencyInProgress => "같은 Idempotency-Key의 요청이 처리 중입니다.".into(),
            Busy(_) => "요청이 많아 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.".into(),
            Internal(_) => "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요.".into(),
        }
    }

    pub fn body(&self) -> ErrorBody {
        let status = self.status();
        ErrorBody {
            status: reason_name(status),
            message: self.message(),
            code: self.code().to_string(),
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
