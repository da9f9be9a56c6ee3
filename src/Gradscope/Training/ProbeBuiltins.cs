using System.Numerics;

namespace Gradscope.Training;

/// <summary>
/// The built-in probes: step, t, wall_s, loss, log_loss, train_acc, (test_loss, test_log_loss, test_acc),
/// fro[name] = ||W_k||_F for every weight, rho = prod_k ||W_k||_F, min_margin = min_i m_i and
/// gamma = min_i m_i / rho (THEORY.md sections 1-3).
/// </summary>
public sealed class CoreProbe<T> : IProbe<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly string[] _fro;
    private readonly bool _test;

    /// <summary>Creates the probe for a model with the given weight names and whether a test set exists.</summary>
    public CoreProbe(IEnumerable<string> weightNames, bool hasTest)
    {
        _fro = weightNames.Select(n => $"fro[{n}]").ToArray();
        _test = hasTest;
        var keys = new List<string> { "step", "t", "wall_s", "loss", "log_loss", "train_acc" };
        if (hasTest) keys.AddRange(["test_loss", "test_log_loss", "test_acc"]);
        keys.AddRange(_fro);
        keys.AddRange(["rho", "min_margin", "gamma"]);
        Keys = keys;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Keys { get; }

    /// <inheritdoc/>
    public void Measure(ProbeContext<T> c, MetricRow row)
    {
        row.Set("step", c.Step);
        row.Set("t", c.Time);
        row.Set("wall_s", c.WallSeconds);
        row.Set("loss", c.Train.L);
        row.Set("log_loss", c.Train.LogL);
        row.Set("train_acc", c.Train.Accuracy);
        if (_test && c.Test is { } test)
        {
            row.Set("test_loss", test.L);
            row.Set("test_log_loss", test.LogL);
            row.Set("test_acc", test.Accuracy);
        }
        var weights = c.Model.Weights;
        for (int k = 0; k < weights.Count && k < _fro.Length; k++)
            row.Set(_fro[k], ProbeEvaluation<T>.Frobenius(weights[k].Value.Span));
        row.Set("rho", c.Train.Rho);
        row.Set("min_margin", c.Train.MinMargin);
        row.Set("gamma", c.Train.Gamma);
    }
}
