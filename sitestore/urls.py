"""The site store's pages, mounted at /sites/ (its API lives in sitestore/api/urls.py)."""

from django.urls import path

from sitestore import views

app_name = "sitestore"

# Each part of the store adds its own pages here: catalogue and My sites, previews, feedback.
urlpatterns: list = []

# The store: front, catalogue, template pages, template cart, My sites, About.
urlpatterns += [
    path("", views.home, name="home"),
    path("templates/", views.catalogue, name="catalogue"),
    path("templates/<slug:slug>/", views.template_detail, name="template"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart-add"),
    path("cart/remove/", views.cart_remove, name="cart-remove"),
    path("cart/checkout/", views.checkout, name="checkout"),
    path("my/", views.my_sites, name="my-sites"),
    path("my/<int:site_id>/", views.site_detail, name="site"),
    path("my/<int:site_id>/download/", views.download, name="download"),
    path("about/", views.about, name="about"),
]
