"""The interactive tear sheet (docs/report.md): Plotly charts of strategies' paths, written as one self-contained HTML
file. ``stats`` derives the series and key statistics from the simulator's outputs, ``paths`` turns backtest results
into the JSON-ready documents a report draws, ``figures`` builds one Plotly figure per chart, and ``page`` assembles
the HTML (plotly.js inlined once: nothing is fetched at view time)."""
