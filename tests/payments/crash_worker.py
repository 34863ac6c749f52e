"""A payment worker in its own process, for tests/payments/test_send_crash.py.

    python tests/payments/crash_worker.py RUN_ID CRASH_AFTER
    python tests/payments/crash_worker.py resume

Builds the app on LEP_CRASH_DATABASE_URL with the Stripe settings in the environment, as a real
worker would, and runs the send job (lep.payments.runs.send_run) for the run. With CRASH_AFTER
= N > 0 it dies (os._exit, no clean-up, no commit) right after the provider made the N-th
transfer and before the payment's status is saved: the worst moment for a worker to die. With
CRASH_AFTER = -N it stops there instead (prints "hanging after ...") and waits to be killed
(SIGKILL, by the test). The crash is injected here by wrapping the provider's send_payment,
never in production code. `resume` runs `flask lep resume-payments` and prints what it said.
The sender's lease is LEP_CRASH_LEASE_SECONDS (default 1), so a test need not wait long for a
dead sender's run to become stale.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ENV_DATABASE_URL = "LEP_CRASH_DATABASE_URL"
STRIPE_SETTINGS = ("STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE")


def make_app(database_url: str, **config: Any) -> Any:
    """The app as a worker builds it, on this database."""
    from lep import create_app

    return create_app("test", SQLALCHEMY_DATABASE_URI=database_url, **config)


def main(argv: list[str]) -> int:
    settings: dict[str, Any] = {
        name: os.environ[name] for name in STRIPE_SETTINGS if os.environ.get(name)
    }
    settings["PAYMENT_SEND_LEASE_SECONDS"] = int(os.environ.get("LEP_CRASH_LEASE_SECONDS", "1"))
    app = make_app(os.environ[ENV_DATABASE_URL], PAYMENT_PROVIDER="stripe", **settings)
    if argv[1] == "resume":
        result = app.test_cli_runner().invoke(args=["lep", "resume-payments"])
        print(result.output, flush=True)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code
    run_id, crash_after = int(argv[1]), int(argv[2])

    from lep.payments import runs
    from lep.payments.providers import get_provider
    from lep.payments.providers.base import PaymentRequest, PaymentResult

    with app.app_context():
        provider = get_provider()
        send = provider.send_payment
        made = 0

        def send_then_die(request: PaymentRequest) -> PaymentResult:
            nonlocal made
            result = send(request)  # the transfer exists at Stripe from here on
            made += 1
            if made == crash_after:
                print(f"crashed after {request.key} {result.provider_reference}", flush=True)
                os._exit(1)
            if made == -crash_after:
                print(f"hanging after {request.key} {result.provider_reference}", flush=True)
                time.sleep(600)  # until the test kills this process
            return result

        provider.send_payment = send_then_die  # type: ignore[method-assign]
        runs.send_run(run_id)
    print(f"finished run {run_id}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
