"""Delivery channels: each turns one outbox message into a delivery or a DeliveryError."""
