namespace Gradscope.Measures;

using Gradscope.Losses;

/// <summary>What <see cref="MeasureSuite"/> computes and how (defaults: a cheap probe).</summary>
public sealed record MeasureOptions
{
    /// <summary>
    /// A probe to run during training: every margin, norm and rank measure, with each layer's full singular
    /// spectrum from the eigenvalues of its Gram matrix (<see cref="GramSpectrum"/>), power-iteration singular
    /// vectors warm-started across calls, margins and neural collapse on at most 1024 evenly spaced training samples.
    /// </summary>
    public static MeasureOptions Probe { get; } = new() { MaxSamples = 1024, FullSvd = true };

    /// <summary>
    /// The full singular spectrum per layer: adds effective rank and numerical rank, and takes spectral norms from
    /// the spectrum. Computed as the square roots of the eigenvalues of W W^T (<see cref="GramSpectrum"/>), with a
    /// full SVD only when a singular value sits at the numerical-rank threshold within the precision of that route.
    /// </summary>
    public bool FullSvd { get; init; }
    /// <summary>Relative tolerance of the power iteration for spectral norms (probe default 1e-6).</summary>
    public double PowerTolerance { get; init; } = 1e-6;
    /// <summary>
    /// Relative tolerance of ||T||_2^2 for the operator of a conv or locally connected layer, by Lanczos on T^T T
    /// (<see cref="OperatorNorm.Top"/>; these spectra are near-continuous at the top, where power iteration stalls).
    /// </summary>
    public double OperatorTolerance { get; init; } = OperatorNorm.DefaultTolerance;
    /// <summary>Relative tolerance of the numerical rank #{s_i &gt; tol s_1}.</summary>
    public double NumericalRankTolerance { get; init; } = NumericalRank.DefaultTolerance;
    /// <summary>At most this many training samples (evenly spaced, deterministic) for margins and neural collapse; null = all.</summary>
    public int? MaxSamples { get; init; }
    /// <summary>Quantiles of the margin distributions to report (keys "margin.q10" for 0.10).</summary>
    public IReadOnlyList<double> MarginQuantiles { get; init; } = [0.05, 0.10, 0.25, 0.50];
    /// <summary>Quantile of the raw margins used as gamma in the bounds (0 = the minimum margin).</summary>
    public double BoundMarginQuantile { get; init; }
    /// <summary>Confidence parameter delta of the BFT bound.</summary>
    public double Delta { get; init; } = 0.05;
    /// <summary>Whether to compute neural collapse (multiclass nets only).</summary>
    public bool NeuralCollapse { get; init; } = true;
    /// <summary>Feature layer for neural collapse (default: the input of the last weight layer).</summary>
    public int? NeuralCollapseLayer { get; init; }
    /// <summary>Loss for Hessian measures; null skips them.</summary>
    public LossKind? Loss { get; init; }
    /// <summary>Target scale of the square loss.</summary>
    public double TargetScale { get; init; } = 1.0;
    /// <summary>How many top Hessian eigenvalues (0 = none).</summary>
    public int HessianTopK { get; init; }
    /// <summary>Rademacher vectors for Hutchinson's trace estimate (0 = none).</summary>
    public int HutchinsonSamples { get; init; }
    /// <summary>Seed of the Hessian measures' random vectors.</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Hard-margin SVM direction (d) for the distance to max margin of binary deep linear nets; null skips it.</summary>
    public double[]? MaxMarginDirection { get; init; }
    /// <summary>Whether to fit the hard-margin SVM direction of the training set (binary deep linear nets that separate it
    /// through the origin) when <see cref="MaxMarginDirection"/> is null.</summary>
    public bool FitMaxMargin { get; init; }
    /// <summary>
    /// Whether to write each balance matrix B_k = W_{k+1}^T W_{k+1} - W_k W_k^T itself (an array per adjacent pair of dense
    /// layers, <c>layer.{k}.balance_matrix_full</c>; opt-in: n_k x n_k doubles each).
    /// </summary>
    public bool BalanceMatrices { get; init; }
    /// <summary>Evenly spaced training rows for the empirical NTK (null with <see cref="NtkRows"/> null: the NTK is skipped).</summary>
    public int? NtkSamples { get; init; }
    /// <summary>Explicit training rows (0-based) for the empirical NTK; overrides <see cref="NtkSamples"/>.</summary>
    public int[]? NtkRows { get; init; }
    /// <summary>Parameters at initialization (flat) for the relative weight change; null skips it.</summary>
    public double[]? InitialParameters { get; init; }
    /// <summary>
    /// Settings of the opt-in flatness and sharpness searches (Jiang et al. 2020 eq. 48-61: sigma' and alpha' by bisection on
    /// the measured training samples); null skips them.
    /// </summary>
    public Flatness.FlatnessOptions? Flatness { get; init; }
    /// <summary>
    /// What of the loss Hessian to compute beyond <see cref="HessianTopK"/>: the full matrix, stochastic estimates or the SLQ
    /// density (null: none, except that <see cref="HutchinsonSamples"/> &gt; 0 alone asks for the stochastic estimates).
    /// </summary>
    public HessianMode? Hessian { get; init; }
    /// <summary>Rademacher probes of <see cref="HessianMode.Stochastic"/> and of the per-layer block traces.</summary>
    public int HessianProbes { get; init; } = 100;
    /// <summary>Probes of the SLQ density (<see cref="HessianMode.Slq"/>).</summary>
    public int SlqProbes { get; init; } = 10;
    /// <summary>Lanczos steps per SLQ probe and per layer block.</summary>
    public int SlqSteps { get; init; } = 100;
    /// <summary>Whether to compute each dense layer's diagonal Hessian block (extreme eigenvalues and trace).</summary>
    public bool HessianBlocks { get; init; }
    /// <summary>
    /// Whether the Hessian-vector products run in float32 whatever the measured model's element type (its weights rounded to float32:
    /// exact for a model stored in F32), as an f32 model's own products do (<see cref="HessianVectorProduct.CreateSingle"/>): half the
    /// memory per weight copy and float32 GEMMs; SLQ then keeps its Lanczos vectors in float32. The values carry float32 rounding
    /// (about 1e-7 to 1e-6 of ||H||) instead of float64's.
    /// </summary>
    public bool HessianSingle { get; init; }
    /// <summary>
    /// Settings of the opt-in PAC-Bayes bound (Dziugaite &amp; Roy 2017; the <c>pacbayes.*</c> keys): a Gaussian posterior optimized
    /// around the trained weights with the weights at initialization as prior mean, on the whole training split; null skips it.
    /// </summary>
    public PacBayes.PosteriorOptions? PacBayesPosterior { get; init; }
    /// <summary>Whether to fit the hard-margin SVM (no intercept) of the training set (opt-in; binary labels 0/1).</summary>
    public bool Svm { get; init; }
    /// <summary>KKT tolerance of the SVM's dual coordinate ascent.</summary>
    public double SvmTolerance { get; init; } = 1e-10;
    /// <summary>Epochs of dual coordinate ascent before the SVM gives up (data not separable through the origin).</summary>
    public int SvmMaxEpochs { get; init; } = 100_000;
    /// <summary>Hidden layers L of the analytic infinite-width NTK/NNGP on the measured samples; null skips it.</summary>
    public int? AnalyticNtkDepth { get; init; }

    /// <summary>The Hessian mode in effect: <see cref="Hessian"/>, else stochastic when <see cref="HutchinsonSamples"/> &gt; 0.</summary>
    public HessianMode? HessianModeInEffect => Hessian ?? (HutchinsonSamples > 0 ? HessianMode.Stochastic : null);

    /// <summary>Rademacher probes of the stochastic mode in effect (<see cref="HutchinsonSamples"/> when it chose the mode).</summary>
    public int StochasticProbes => Hessian is null && HutchinsonSamples > 0 ? HutchinsonSamples : HessianProbes;
}

/// <summary>How much of the loss Hessian to compute (THEORY.md section 5).</summary>
public enum HessianMode
{
    /// <summary>The full P x P matrix from P exact Hessian-vector products (small nets): trace, ||H||_F, every eigenvalue.</summary>
    Exact,
    /// <summary>Hutchinson's trace and the unbiased ||H||_F^2 estimate, with standard errors.</summary>
    Stochastic,
    /// <summary>The spectral density by stochastic Lanczos quadrature.</summary>
    Slq,
}
