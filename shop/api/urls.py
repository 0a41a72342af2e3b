from django.urls import path
from rest_framework.routers import SimpleRouter

from shop.api import views

router = SimpleRouter()
router.register("products", views.ProductViewSet, basename="api-product")
router.register("orders", views.OrderViewSet, basename="api-order")

urlpatterns = [
    path("search/trending/", views.TrendingView.as_view(), name="api-search-trending"),
    path("cart/", views.CartView.as_view(), name="api-cart"),
    *router.urls,
]
