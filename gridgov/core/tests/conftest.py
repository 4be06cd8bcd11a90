from gridgov.events.tests.conftest import cats, report  # noqa: F401
