"""The kernel's one signal: a case has taken a transition.

``transitioned`` is sent inside the transition's transaction, right after the log row and the lifecycle's
own ``after_transition`` — so a receiver that writes rows (a points award, an outbox row for a department's
system) commits or rolls back together with the transition: nothing is told about a transition that did not
stand, and nothing that stands goes untold. A receiver must be cheap and must not call out of the process;
work for outside systems is staged as rows and done after commit by the task queue.

Sent by :meth:`Lifecycle.perform` (every human and system action taken one case at a time) and
:meth:`Lifecycle.open` (the case's first row, action ``report``). The sweep's batches
(:meth:`Lifecycle.perform_system_batch`) do not send it: they are reminders and escalations, counted into
digests.

Arguments: ``sender`` the lifecycle's class, ``lifecycle`` the lifecycle, ``case`` the case after the
transition, ``entry`` its log row (``entry.action``, ``entry.from_status``, ``entry.to_status``,
``entry.actor_id``, ``entry.created_at``), ``opened`` True when the case is being opened (sent by
:meth:`Lifecycle.open`: the case has no rows yet but its own, e.g. no departments called to it).
"""

from django.dispatch import Signal

transitioned = Signal()
