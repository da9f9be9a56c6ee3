using System.Globalization;
using System.Numerics;

namespace Gradscope.Training;

/// <summary>
/// The built-in probe. Its columns are the registry's keys (<c>gradscope measures</c>; docs/measure.md) for the
/// quantities it records: train_loss, train_log_loss, train_error, (test_loss, test_log_loss, test_error),
/// layer.{k}.frobenius = ||T_k||_F for every weight layer k, rho = prod_k ||T_k||_F, margin.min = min_i m_i and
/// gamma_min = min_i m_i / rho (THEORY.md sections 1-3), after the axes step, t and wall_s (not measures).
/// </summary>
/// <remarks>
/// NOTE: the errors are written as 1 - accuracy (accuracy = correct / n, the value the stopping rule
/// <c>stop.train_acc</c> compares). Run directories written before these keys hold train_acc and test_acc;
/// <see cref="Measures.Registry.MeasureAliases"/> converts them by the same 1 - x, so an old row and a new row of
/// the same weights read the same bits.
/// </remarks>
public sealed class CoreProbe<T> : IProbe<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly string[] _fro;
    private readonly bool _test;

    /// <summary>The key of ||T_k||_F, layer.{k}.frobenius.</summary>
    public static string FrobeniusKey(int k) => $"layer.{k.ToString(CultureInfo.InvariantCulture)}.frobenius";

    /// <summary>Creates the probe for a model with <paramref name="weightLayers"/> weight layers and whether a test set exists.</summary>
    public CoreProbe(int weightLayers, bool hasTest)
    {
        _fro = Enumerable.Range(0, weightLayers).Select(FrobeniusKey).ToArray();
        _test = hasTest;
        var keys = new List<string> { "step", "t", "wall_s", "train_loss", "train_log_loss", "train_error" };
        if (hasTest) keys.AddRange(["test_loss", "test_log_loss", "test_error"]);
        keys.AddRange(_fro);
        keys.AddRange(["rho", "margin.min", "gamma_min"]);
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
        row.Set("train_loss", c.Train.L);
        row.Set("train_log_loss", c.Train.LogL);
        row.Set("train_error", 1 - c.Train.Accuracy);
        if (_test && c.Test is { } test)
        {
            row.Set("test_loss", test.L);
            row.Set("test_log_loss", test.LogL);
            row.Set("test_error", 1 - test.Accuracy);
        }
        var fro = c.Train.LayerFrobenius;
        for (int k = 0; k < fro.Length && k < _fro.Length; k++) row.Set(_fro[k], fro[k]);
        row.Set("rho", c.Train.Rho);
        row.Set("margin.min", c.Train.MinMargin);
        row.Set("gamma_min", c.Train.Gamma);
    }
}
