"""vendorwatch's composition root: the settings of every layer composed (:mod:`.settings`), the
wall clock (:mod:`.clock`), the engine wired from ingest, metrics, alerting and the read model
(:mod:`.engine`), and the command line (:mod:`.cli`). No other package imports it."""
