from django.apps import AppConfig


class OrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orders"

    def ready(self) -> None:
        from gateways.signals import gateway_paired, gateway_status_changed
        from orders.receivers import backfill_paired_gateway, record_gateway_status

        gateway_paired.connect(backfill_paired_gateway, dispatch_uid="orders.backfill_paired")
        gateway_status_changed.connect(record_gateway_status, dispatch_uid="orders.status_event")
