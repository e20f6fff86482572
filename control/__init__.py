"""Control commands: the writes people make to a running engine (set a policy, acknowledge,
silence, unsilence), from their models to their audit.

One command is one JSON object per record on the control topic (``vendorwatch.control``). This
package is its only home:

* :mod:`control.model` — the envelope every command carries (:class:`~control.model.Command`)
  and the one way a refusal is worded (:func:`~control.model.validation_reason`);
* :mod:`control.kinds` — one small module per command type, registered once in
  :data:`control.kinds.KINDS` (adding a type is its module plus one line there);
* :mod:`control.apply` — exactly-once application by the engine, audited in ``command_log``
  with the control topic's offsets in the same transaction;
* :mod:`control.reader` — the engine's reader of the control topic;
* :mod:`control.send` — building a command (the clock is a parameter) and producing it; the
  dashboard and the command line only build and send through it.

Layering: control sits above ``ingest``, ``metrics`` and ``alerting`` (it applies commands to
their state) and below ``dashboard`` and ``vendorwatch``; nothing below imports it.
"""
