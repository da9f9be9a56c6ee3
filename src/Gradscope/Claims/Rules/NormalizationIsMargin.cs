namespace Gradscope.Claims.Rules;

using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// normalization-is-margin: the same bias-free ReLU net, started with every layer at ||W_k||_F = 1 (so all
/// methods take the same first step), is trained on separable data with the exponential loss by plain GD,
/// weight normalization (per layer and per unit), LM normalization and GD on the net with batch norm after each
/// hidden dense layer, all at one step size and step count. gamma = min_i m_i / rho is probed on the effective
/// weights (batch norm folded into the dense layers, <see cref="FoldedNet"/>). The steps each method needs to
/// reach GD's final gamma are compared with GD's, and at the end of the LM run the tangential part of the loss
/// gradient on the spheres ||V_k|| = 1 measures how close it is to a critical point of the constrained problem.
/// </summary>
public sealed class NormalizationIsMargin : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "normalization-is-margin";

    private static readonly Dictionary<string, string> Threshold = new()
    {
        ["weight_norm"] = "wn_steps", ["weight_norm_per_unit"] = "wn_unit_steps", ["lagrange"] = "lm_steps", ["batchnorm"] = "bn_steps",
    };

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var runs = new Dictionary<string, (List<double> Steps, List<double> Gamma, List<double> Tangential, double FinalTangential, long T)>();
        foreach (string method in ctx.Parameters.Strings("methods"))
        {
            var cfg = method == "batchnorm" ? ctx.Config("train_batchnorm", "net") : ctx.Config("train", "net");
            cfg = method switch
            {
                "weight_norm" => cfg with { Algorithm = cfg.Algorithm with { Name = "weight_norm", Options = new Dictionary<string, string> { ["mode"] = "per_layer" } } },
                "weight_norm_per_unit" => cfg with { Algorithm = cfg.Algorithm with { Name = "weight_norm", Options = new Dictionary<string, string> { ["mode"] = "per_unit" } } },
                "lagrange" => cfg with { Algorithm = cfg.Algorithm with { Name = "lagrange" } },
                "gd" or "batchnorm" => cfg,
                _ => throw new InvalidDataException($"{ctx.Definition.Source}: unknown method '{method}' (gd, weight_norm, weight_norm_per_unit, lagrange, batchnorm)."),
            };
            var trainer = new Trainer<double>(cfg);
            UnitNormLayers(trainer.Model);
            bool bn = method == "batchnorm";
            trainer.Probes.Add(new FuncProbe<double>(["gamma_eff", "tangential"], (c, row) =>
            {
                row.Set("gamma_eff", c.Train.MinMargin / FoldedNet.Rho(c.Model));
                // NOTE: the tangential measure needs a training-mode gradient, which would move batch-norm running statistics.
                row.Set("tangential", bn ? double.NaN : Tangential(trainer));
            }));
            ctx.Progress($"{method}: training");
            var result = ctx.Run(trainer, method);
            var (steps, gamma) = Rows.Series(result.Rows, "gamma_eff");
            var (_, tang) = Rows.Series(result.Rows, "tangential");
            runs[method] = (steps, gamma, tang, bn ? double.NaN : Tangential(trainer), result.Steps);
            if (bn)
            {
                // Context for the proxy: the same margin over the folded weight norms alone (batch-norm shifts left out).
                double rhoW = FoldedNet.Layers(trainer.Model).Aggregate(1.0, (a, l) => a * Math.Sqrt(l.W.Sum(v => v * v)));
                outcome.Numbers.Add(Evidence.Info("batchnorm: gamma(T) with the folded shifts b~_k left out of rho", MinMargin(trainer) / rhoW));
            }
        }
        if (!runs.TryGetValue("gd", out var gd)) throw new InvalidDataException($"{ctx.Definition.Source}: methods must include gd (the reference).");
        double target = gd.Gamma[^1];
        double worstFinal = double.PositiveInfinity;
        foreach (var (method, r) in runs)
        {
            if (method == "gd") continue;
            int idx = r.Gamma.FindIndex(g => g >= target);
            double ratio = idx < 0 ? double.PositiveInfinity : r.Steps[idx] / gd.T;
            outcome.Numbers.Add(ctx.Check(Threshold[method], $"{method}: first probe step with gamma >= GD's final gamma, divided by GD's steps", ratio));
            worstFinal = Math.Min(worstFinal, r.Gamma[^1] / target);
        }
        outcome.Numbers.Add(ctx.Check("final_gamma", "min over normalized methods of gamma(T) / gamma_GD(T)", worstFinal));
        if (runs.TryGetValue("lagrange", out var lm))
            outcome.Numbers.Add(ctx.Check("lm_kkt", "LM at T: max_k ||(I - v_k v_k^T) g_k|| / ||g_k||, g = grad log L", lm.FinalTangential));
        outcome.Numbers.Add(Evidence.Info("GD's final gamma (the target)", target));
        foreach (var (method, r) in runs)
        {
            outcome.Numbers.Add(Evidence.Info($"{method}: gamma(T)", r.Gamma[^1]));
            if (method != "batchnorm") outcome.Numbers.Add(Evidence.Info($"{method}: tangential gradient fraction at T", r.FinalTangential));
        }
        var series = runs.Select(kv => new Series(kv.Key, kv.Value.Steps, kv.Value.Gamma)).ToList();
        series.Add(new Series("GD's final gamma", [1.0, gd.T], [target, target]));
        outcome.Charts.Add(Charts.Lines("gamma", "Normalized margin gamma(t) by method",
            "gamma = min_i y_i f(x_i) / rho on the effective weights (batch norm folded in: rho = prod_k ||[W~_k | b~_k]||_F). The claim predicts the normalized methods cross GD's final gamma (dashed level) before GD's last step.",
            "step t", "gamma", series, logX: true));
        outcome.Charts.Add(Charts.Lines("tangential", "Tangential part of the loss gradient",
            "max_k ||(I - v_k v_k^T) g_k|| / ||g_k|| with g = grad log L; 0 at a critical point of the loss restricted to the spheres ||V_k|| = 1.",
            "step t", "tangential fraction", runs.Where(kv => kv.Key != "batchnorm").Select(kv => new Series(kv.Key, kv.Value.Steps, kv.Value.Tangential)).ToList(), logX: true, logY: true));
        outcome.Notes.Add("Every run starts from the same He-initialized weights rescaled to ||W_k||_F = 1 per layer (rho_k = 1), where GD, WN and LM take the same first step; step size and step count are shared.");
        outcome.Notes.Add("Batch norm breaks homogeneity (THEORY.md section 1): its gamma is a proxy, the margin of the evaluation-mode net divided by the product of the Frobenius norms of the folded affine layers [W~_k | b~_k].");
        return outcome;
    }

    private static double MinMargin(Trainer<double> trainer) =>
        Margins.Raw(trainer.Model, trainer.Train).Min();

    // Every weight matrix W_k <- W_k / ||W_k||_F (a positive rescaling per layer: the homogeneous net's function only changes scale).
    private static void UnitNormLayers(Sequential<double> model)
    {
        foreach (var w in model.Weights)
        {
            var s = w.Value.Span;
            double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares<double>(s));
            System.Numerics.Tensors.TensorPrimitives.Multiply(s, 1 / norm, s);
        }
    }

    /// <summary>max_k ||(I - v_k v_k^T) g_k|| / ||g_k|| at the current weights, g = grad log L (never underflows).</summary>
    private static double Tangential(Trainer<double> trainer)
    {
        var model = trainer.Model;
        trainer.Objective.Evaluate(ReadOnlySpan<int>.Empty, LossOutput.Log);
        double worst = 0;
        foreach (var w in model.Weights)
        {
            var v = model.Flat.AsSpan(w.Offset, w.Value.Length);
            var g = model.FlatGrad.AsSpan(w.Offset, w.Value.Length);
            double vv = System.Numerics.Tensors.TensorPrimitives.Dot<double>(v, v), gv = System.Numerics.Tensors.TensorPrimitives.Dot<double>(g, v);
            double gg = System.Numerics.Tensors.TensorPrimitives.Dot<double>(g, g);
            double tangential2 = Math.Max(0, gg - gv * gv / vv);
            worst = Math.Max(worst, Math.Sqrt(tangential2 / gg));
        }
        return worst;
    }
}
