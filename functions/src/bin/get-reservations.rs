//! Lambda function `get-reservations`: see [`shared::Endpoint::ListReservations`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::ListReservations.serve().await
}
