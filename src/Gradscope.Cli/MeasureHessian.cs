using Gradscope.Measures;

namespace Gradscope.Cli;

/// <summary>
/// What <c>measure</c> was asked to compute of the Hessian (the registry's <c>hessian.*</c> entries compute it; see
/// <see cref="MeasureOptions.Hessian"/>).
/// </summary>
/// <param name="Mode">--hessian: "exact", "stochastic", "slq" or null.</param>
/// <param name="Samples">Rademacher probes of the stochastic trace estimates and the block traces (--hutchinson S, default 100).</param>
/// <param name="SlqProbes">--slq-probes: probes of the SLQ density.</param>
/// <param name="SlqSteps">--slq-steps: Lanczos steps per SLQ probe, and per layer block.</param>
/// <param name="Blocks">--hessian-blocks: per-layer diagonal blocks.</param>
internal sealed record HessianRequest(string? Mode, int Samples, int SlqProbes, int SlqSteps, bool Blocks)
{
    /// <summary>Whether anything of the Hessian was asked for (beyond --hessian-top).</summary>
    public bool Any => Mode is not null || Blocks;

    /// <summary>The mode as the registry's option.</summary>
    public HessianMode? ModeOption => Mode switch
    {
        "exact" => HessianMode.Exact,
        "stochastic" => HessianMode.Stochastic,
        "slq" => HessianMode.Slq,
        null => null,
        _ => throw new ArgumentException($"--hessian must be exact, stochastic or slq, got '{Mode}'."),
    };

    /// <summary>Throws ArgumentException naming the option when a count is out of range.</summary>
    public void Check()
    {
        if (SlqProbes < 1) throw new ArgumentException($"--slq-probes must be >= 1, got {SlqProbes}.");
        if (SlqSteps < 1) throw new ArgumentException($"--slq-steps must be >= 1, got {SlqSteps}.");
    }
}
