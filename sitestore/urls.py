"""The site store's pages, mounted at /sites/ (its API lives in sitestore/api/urls.py)."""

from django.urls import path

from sitestore import feedback_views, preview_views, proxy, views

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

# Feedback: the FAQ bot and questions to the developers.
urlpatterns += [
    path("feedback/", feedback_views.feedback, name="feedback"),
    path("feedback/threads/", feedback_views.threads, name="threads"),
    path("feedback/threads/<int:pk>/", feedback_views.thread_detail, name="thread"),
    path("feedback/threads/<int:pk>/close/", feedback_views.thread_close, name="thread-close"),
]

# Live previews: Run / Stop, the template demos, and the owner-only proxy to the running site.
urlpatterns += [
    path("my/<int:site_id>/run/", preview_views.site_run, name="site-run"),
    path("my/<int:site_id>/stop/", preview_views.site_stop, name="site-stop"),
    path("my/<int:site_id>/live/", proxy.site_live, name="site-live"),
    path("my/<int:site_id>/live/<path:path>", proxy.site_live, name="site-live"),
    path("demo/<int:template_id>/", preview_views.demo, name="demo"),
    path("demo/<int:template_id>/run/", preview_views.demo_run, name="demo-run"),
    path("demo/<int:template_id>/stop/", preview_views.demo_stop, name="demo-stop"),
    path("demo/<int:template_id>/live/", proxy.demo_live, name="demo-live"),
    path("demo/<int:template_id>/live/<path:path>", proxy.demo_live, name="demo-live"),
]
