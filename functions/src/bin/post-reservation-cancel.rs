//! Lambda function `post-reservation-cancel`: see [`shared::Endpoint::CancelReservation`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::CancelReservation.serve().await
}
