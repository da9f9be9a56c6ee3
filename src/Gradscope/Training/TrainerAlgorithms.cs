using System.Numerics;

namespace Gradscope.Training;

using Gradscope.Losses;

/// <summary>
/// Maps algorithm.name to an <see cref="Algorithm{T}"/> (THEORY.md section 4). Algorithm-specific
/// keys are read through <see cref="TrainerOptions"/>, so unknown ones are rejected by name and line.
/// </summary>
public static class TrainerAlgorithms
{
    /// <summary>Names the factory knows.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["gd", "sgd", "loss_scaled_gd", "armijo", "flow", "loss_scaled_flow", "weight_norm", "lagrange", "nmgd", "halpern"];

    /// <summary>Whether the algorithm takes minibatches (batch_size &gt; 0).</summary>
    public static bool IsMinibatch(TrainConfig c) => c.Algorithm.BatchSize > 0;

    /// <summary>Creates the algorithm of <paramref name="c"/>; throws <see cref="TrainConfigException"/> for unknown names or keys.</summary>
    /// <param name="c">The config.</param>
    /// <param name="initialWeights">W_0 (the Halpern anchor "init"); may be empty when the algorithm does not need it.</param>
    public static Algorithm<T> Create<T>(TrainConfig c, ReadOnlySpan<T> initialWeights = default) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = c.Algorithm;
        var o = new TrainerOptions(c, "algorithm", a.Options);
        bool expType = Loss.IsExponentialType(Loss.Parse(c.Loss.Kind));
        bool logSchedule = c.Schedule.Kind == ScheduleKind.LossScaled;
        if (logSchedule && !expType) throw c.Error("schedule.kind", $"loss_scaled needs an exponential-type loss (exponential, logistic, cross_entropy), got {c.Loss.Kind}");
        Algorithm<T> result;
        switch (a.Name)
        {
            case "gd":
                if (a.BatchSize != 0) throw c.Error("algorithm.batch_size", $"must be 0 for gd (full batch); use name: sgd for minibatches, got {a.BatchSize}");
                result = Momentum<T>(c, o, logSchedule) ?? new Gd<T>(lossScaled: logSchedule);
                break;
            case "sgd":
                if (a.BatchSize < 1) throw c.Error("algorithm.batch_size", $"must be >= 1 for sgd, got {a.BatchSize}");
                result = Momentum<T>(c, o, logSchedule) ?? new Gd<T>(lossScaled: logSchedule);
                break;
            case "loss_scaled_gd":
                if (!expType) throw c.Error("algorithm.name", $"loss_scaled_gd needs an exponential-type loss (exponential, logistic, cross_entropy), got {c.Loss.Kind}");
                result = new Gd<T>(lossScaled: true);
                break;
            case "armijo":
            case "armijo_gd":
                FullBatch(c);
                result = Wrap(c, () => new ArmijoGd<T>(o.Positive("initial_eta", a.Eta), o.Double("shrink", 0.5), o.Double("c", 1e-4), o.Positive("min_eta", 1e-12)));
                break;
            case "flow":
            case "loss_scaled_flow":
                {
                    FullBatch(c);
                    bool scaled = a.Name == "loss_scaled_flow";
                    if (scaled && !expType) throw c.Error("algorithm.name", $"loss_scaled_flow needs an exponential-type loss (exponential, logistic, cross_entropy), got {c.Loss.Kind}");
                    var tol = new OdeTolerances(o.Positive("atol", 1e-8), o.Positive("rtol", 1e-8), o.Positive("safety", 0.9),
                        o.Positive("min_factor", 0.2), o.Positive("max_factor", 10.0), o.Double("initial_dt", 0), MaxDt(o));
                    var events = new EventSettings(o.Positive("event_tol", 1e-11), o.Double("event_min_gap", 1e-7), FallbackMaxDt(o));
                    result = Wrap(c, () => new GradientFlow<T>(tol, scaled, events));
                    break;
                }
            case "weight_norm":
                {
                    string mode = o.Choice("mode", "per_layer", "per_layer", "per_unit");
                    bool wnScaled = o.Bool("loss_scaled", false);
                    if (wnScaled && !expType) throw o.Error("loss_scaled", $"needs an exponential-type loss (exponential, logistic, cross_entropy), got {c.Loss.Kind}");
                    result = new WeightNormalization<T>(mode == "per_unit" ? WeightNormMode.PerUnit : WeightNormMode.PerLayer, wnScaled);
                    break;
                }
            case "lagrange":
            case "lagrange_norm":
                {
                    double rate = o.Double("direction_rate", 1.0);
                    if (!(rate >= 0)) throw o.Error("direction_rate", $"must be >= 0, got {rate}");
                    bool lmScaled = o.Bool("loss_scaled", false);
                    if (lmScaled && !expType) throw o.Error("loss_scaled", $"needs an exponential-type loss (exponential, logistic, cross_entropy), got {c.Loss.Kind}");
                    bool matched = o.Choice("direction_step", "lm", "lm", "matched") == "matched";
                    bool global = o.Bool("global", false);
                    if (matched && global) throw o.Error("direction_step", "matched is defined per layer (eta / rho_k); it is not available with global: true");
                    result = Wrap(c, () => new LagrangeNormalization<T>(global, rate, lmScaled, matched));
                    break;
                }
            case "nmgd":
            case "halpern":
                {
                    var schedule = new HalpernSchedule(o.Positive("a_scale", 1.0), o.Double("a_offset", 2.0), o.Positive("a_power", 1.0));
                    double[]? anchor = null;
                    if (a.Name == "halpern" && o.Choice("anchor", "zero", "zero", "init") == "init")
                    {
                        anchor = new double[initialWeights.Length];
                        for (int i = 0; i < anchor.Length; i++) anchor[i] = double.CreateChecked(initialWeights[i]);
                    }
                    result = Wrap(c, () => a.Name == "nmgd" ? new Nmgd<T>(null, schedule) : new Halpern<T>(anchor, schedule));
                    break;
                }
            default:
                throw c.Error("algorithm.name", $"is not a known algorithm, got '{a.Name}' (known: {string.Join(", ", Names)})");
        }
        if (logSchedule && a.Name is not ("gd" or "sgd" or "loss_scaled_gd"))
            throw c.Error("schedule.kind", $"loss_scaled is realized by stepping on grad log L and is available for gd and sgd; use the algorithm's own loss-scaled variant for '{a.Name}'");
        o.RejectUnknown($"algorithm '{a.Name}'", ["name", "eta", "batch_size", "weight_decay"]);
        return result;
    }

    // momentum, dampening, nesterov on gd/sgd: PyTorch's SGD; null (plain GD/SGD of THEORY section 4) when momentum is 0
    private static Algorithm<T>? Momentum<T>(TrainConfig c, TrainerOptions o, bool logSchedule) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double mu = o.Double("momentum", 0), dampening = o.Double("dampening", 0);
        bool nesterov = o.Bool("nesterov", false);
        if (mu == 0)
        {
            if (nesterov) throw o.Error("nesterov", "needs momentum > 0");
            if (dampening != 0) throw o.Error("dampening", "needs momentum > 0");
            return null;
        }
        if (logSchedule) throw c.Error("schedule.kind", "loss_scaled steps on grad log L and is not combined with momentum");
        try { return new MomentumSgd<T>(mu, dampening, nesterov); }
        catch (ArgumentException e) { throw o.Error(mu is > 0 and < 1 ? (nesterov ? "nesterov" : "dampening") : "momentum", e.Message); }
    }

    private static double MaxDt(TrainerOptions o)
    {
        double d = o.Double("max_dt", double.PositiveInfinity);
        return d > 0 ? d : throw o.Error("max_dt", $"must be > 0, got {d}");
    }

    private static double FallbackMaxDt(TrainerOptions o)
    {
        double d = o.Double("fallback_max_dt", double.PositiveInfinity);
        return d > 0 ? d : throw o.Error("fallback_max_dt", $"must be > 0, got {d}");
    }

    private static void FullBatch(TrainConfig c)
    {
        if (c.Algorithm.BatchSize != 0) throw c.Error("algorithm.batch_size", $"must be 0 for {c.Algorithm.Name} (a full-batch method), got {c.Algorithm.BatchSize}");
    }

    // Constructors validate their own arguments; report their message against the algorithm's key.
    private static Algorithm<T> Wrap<T>(TrainConfig c, Func<Algorithm<T>> create) where T : unmanaged, IFloatingPointIeee754<T>
    {
        try { return create(); }
        catch (ArgumentException e) { throw c.Error("algorithm", e.Message); }
    }
}
