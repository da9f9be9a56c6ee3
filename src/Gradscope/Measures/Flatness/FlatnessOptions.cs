namespace Gradscope.Measures.Flatness;

/// <summary>
/// Settings of the flatness and sharpness searches of Jiang et al. 2020 (appendix C, eq. 48-61), with their defaults:
/// the criterion may move by <see cref="Deviation"/> (0.1 in training error, as Jiang et al.), noise is averaged over
/// <see cref="MonteCarloSamples"/> seeded draws, and the scale is bisected <see cref="BisectionSteps"/> times.
/// </summary>
public sealed record FlatnessOptions
{
    /// <summary>The largest allowed change |E[criterion(w + u)] - criterion(w)| (default 0.1).</summary>
    public double Deviation { get; init; } = 0.1;
    /// <summary>Monte Carlo weight draws per sigma of the PAC-Bayes flatness (default 10).</summary>
    public int MonteCarloSamples { get; init; } = 10;
    /// <summary>Bisection steps on sigma or alpha after the bracketing (default 20).</summary>
    public int BisectionSteps { get; init; } = 20;
    /// <summary>Projected sign-gradient ascent steps per alpha of the sharpness (default 10).</summary>
    public int AscentSteps { get; init; } = 10;
    /// <summary>The additive noise floor eps of the magnitude-aware variants (default 1e-3, as Jiang et al.).</summary>
    public double MagnitudeEpsilon { get; init; } = 1e-3;
    /// <summary>Seed of the noise draws and ascent starts.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!(Deviation > 0) || double.IsInfinity(Deviation)) throw new ArgumentException($"flatness deviation must be a positive number, got {Deviation}.");
        if (MonteCarloSamples < 1) throw new ArgumentException($"flatness Monte Carlo samples must be >= 1, got {MonteCarloSamples}.");
        if (BisectionSteps < 1) throw new ArgumentException($"flatness bisection steps must be >= 1, got {BisectionSteps}.");
        if (AscentSteps < 1) throw new ArgumentException($"sharpness ascent steps must be >= 1, got {AscentSteps}.");
        if (!(MagnitudeEpsilon >= 0) || double.IsInfinity(MagnitudeEpsilon)) throw new ArgumentException($"magnitude epsilon must be >= 0, got {MagnitudeEpsilon}.");
    }
}
