from django.db import connection
from django.http import JsonResponse

from .models import Order


def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def order_list(request):
    orders = Order.objects.order_by("-created_at").values("id", "item", "created_at")[:50]
    return JsonResponse({"orders": list(orders)})
