"""The Agent Connect Protocol (ACP 0.2.3) over the same engine: workflows are agents, ACP runs are
runs, interrupts are checkpoints, threads carry state across runs."""
