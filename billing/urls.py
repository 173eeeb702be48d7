from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.index, name="index"),
    path("factures/<int:pk>/pdf/", views.invoice_pdf_view, name="invoice_pdf"),
    path("recus/<int:pk>/pdf/", views.receipt_pdf_view, name="receipt_pdf"),
    path("factures/<int:pk>/payer/", views.pay, name="pay"),
    path("paiement/notification/", views.ipn, name="ipn"),
    path("paiement/retour/<str:order_id>/", views.payment_return, name="payment_return"),
    path("passerelle-test/", views.test_gateway, name="test_gateway"),
    path("simulateur/", views.simulator, name="simulator"),
]
