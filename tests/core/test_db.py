import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_lower_folds_every_alphabet_on_every_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT lower(%s), lower(NULL)", ["ЯБЛОКО Äpfel APPLE"])
        assert cursor.fetchone() == ("яблоко äpfel apple", None)
