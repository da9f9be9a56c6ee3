namespace Gradscope.Claims;

/// <summary>
/// Pieces of a probed training curve the verdict rules share: where the terminal phase of training begins
/// (training error 0 from that probe on) and a metric's least-squares slope against log10 t over a phase.
/// </summary>
public static class LogTimeFits
{
    /// <summary>
    /// The index of the first probe from which every later probe has training error 0 (100% training accuracy: the
    /// terminal phase of training, Papyan et al. 2020), or <c>trainError.Count</c> when the last probe has an error.
    /// </summary>
    public static int TerminalPhaseStart(IReadOnlyList<double> trainError)
    {
        int start = trainError.Count;
        while (start > 0 && trainError[start - 1] <= 0) start--;
        return start;
    }

    /// <summary>
    /// The least-squares slope of <paramref name="values"/> against log10(step) over the probes at steps
    /// &gt;= <paramref name="fromStep"/> (step 0 excluded); NaN with fewer than two such probes.
    /// </summary>
    public static double SlopeAgainstLogTime(IReadOnlyList<double> steps, IReadOnlyList<double> values, double fromStep)
    {
        if (steps.Count != values.Count) throw new ArgumentException($"SlopeAgainstLogTime: {steps.Count} steps and {values.Count} values.");
        var idx = Enumerable.Range(0, steps.Count).Where(i => steps[i] >= fromStep && steps[i] > 0).ToList();
        return idx.Count >= 2 ? ClaimMath.LinearFit(idx.Select(i => Math.Log10(steps[i])).ToList(), idx.Select(i => values[i]).ToList()).Slope : double.NaN;
    }
}
