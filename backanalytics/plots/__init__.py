"""Charts: matplotlib only, each function draws on ``ax=`` (or ``fig=``) and returns it.

Axes-level functions take the canonical log, a ``client`` and ``ax=None``; figure-level ones
(``*_chart``) take ``fig=None`` and are built from the axes-level ones. None of them calls
``plt.show()`` or changes global rcParams (they draw inside :func:`plot_style`), and none changes
the log it is given.

=========================  =====================================================================
function                   shows
=========================  =====================================================================
``progress_panel``         one score: daily values, 7-day mean, Theil-Sen trend, MCID band,
                           phase line, flare markers
``progress_chart``         pain and flexibility panels, titled with what changed
``calendar_heatmap``       GitHub-style calendar of session days (minutes or stretches per day)
``weekly_adherence``       session days per week against the prescribed target
``stretch_mix``            times each stretch was done, share within dose guidance
``target_areas``           days each body area was stretched
``stretch_mix_chart``      the two above side by side
``relief_chart``           pain before vs after each session (dumbbells)
``phase_chart``            A/B single-case chart with NAP and Tau
``caseload_scatter``       all clients: adherence vs pain change, flagged clients labelled
``caseload_trends``        all clients: small multiples of pain, most in need first
``caseload_chart``         the two above in one figure
``function_chart``         one questionnaire (ODI, RMDQ, PSFS) over time with its MCID band
=========================  =====================================================================
"""

from backanalytics.plots.adherence import weekly_adherence
from backanalytics.plots.calendar import calendar_heatmap
from backanalytics.plots.caseload import caseload_chart, caseload_scatter, caseload_table, caseload_trends
from backanalytics.plots.function import function_chart
from backanalytics.plots.mix import relief_chart, stretch_mix, stretch_mix_chart, target_areas
from backanalytics.plots.phases import phase_chart
from backanalytics.plots.progress import progress_chart, progress_panel
from backanalytics.plots.style import COLORS, OKABE_ITO, plot_style

__all__ = [
    "COLORS",
    "OKABE_ITO",
    "calendar_heatmap",
    "caseload_chart",
    "caseload_scatter",
    "caseload_table",
    "caseload_trends",
    "function_chart",
    "phase_chart",
    "plot_style",
    "progress_chart",
    "progress_panel",
    "relief_chart",
    "stretch_mix",
    "stretch_mix_chart",
    "target_areas",
    "weekly_adherence",
]
