"""The dashboard's read model: snapshots the engine publishes (:mod:`readmodel.publish`) and the
contract by which readers find and open them (:mod:`readmodel.contract`)."""
