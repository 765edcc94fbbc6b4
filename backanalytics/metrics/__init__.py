"""Metrics over the canonical log: consistency, outcomes, flags and single-case effect sizes.

One module per topic; each works on every client at once:

- ``consistency``: adherence, streaks, gaps, regularity per client, and the weekly table;
  built from ``periods`` (the analysis date, the prescription, each client's period),
  ``streaks`` (runs of session days or met ISO weeks) and ``dose`` (holds and reps against guidance);
- ``habit``: Loop Habit Tracker's habit strength of the log; ``habit_kernels`` computes the score
  on arrays of many habits;
- ``outcomes``: score trends (pain, flexibility, reach), change from baseline, clinically important change;
  ``trend`` holds the trend statistics; ``function``: questionnaire (ODI, RMDQ, PSFS) change;
- ``flags``: what a therapist should see; ``association``: adherence against pain change;
  ``caseload``: consistency, outcomes and flags computed side by side;
- ``effect_sizes``: single-case effect sizes; ``effect_size_kernels`` computes them on arrays;
- ``log_arrays``: the log as numpy arrays (client_id factorised once) and the per-client reductions
  the other modules share.
"""
