using static Gradscope.Tests.Cli.ArrayFiles;
using static Gradscope.Tests.Cli.MeasureCommandTests;

namespace Gradscope.Tests.Cli;

/// <summary>
/// <c>gradscope measure --balance-matrices</c> as a user runs it: each B_k = W_{k+1}^T W_{k+1} - W_k W_k^T read back from its .npy
/// file (by the test's own parser) equals the product formed here by explicit sums from the weights read from the model file;
/// its Frobenius norm is the JSON's layer.{k}.balance_matrix and its trace layer.{k}.balance.
/// </summary>
public class MeasureBalanceMatrixFilesTests
{
    [Fact]
    public void DeepLinearBalanceMatricesAreTheExplicitProductsAndTheirNormsAndTracesAreTheJsonKeys()
    {
        using var dir = new Gradscope.Tests.Data.TempDir();
        var rng = new Random(5);
        int[] widths = [3, 4, 6, 2];
        var ws = Enumerable.Range(0, 3).Select(l => Gauss(rng, widths[l + 1] * widths[l], true)).ToArray();
        string w = dir.File("lin.safetensors"), m = dir.File("lin.yaml"), tr = dir.File("train.csv"), o = dir.File("r.json");
        WriteSafetensors(w, ("0.weight", [4, 3], ws[0], false), ("2.weight", [6, 4], ws[1], false), ("4.weight", [2, 6], ws[2], false));
        File.WriteAllText(m, "input: [3]\nlayers:\n  - {type: dense, out: 4}\n  - {type: identity}\n  - {type: dense, out: 6}\n  - {type: identity}\n  - {type: dense, out: 2}\n");
        WriteCsv(tr, Enumerable.Range(0, 10).Select(_ => Gauss(rng, 3, false)).ToArray(), Enumerable.Range(0, 10).Select(i => i % 2).ToArray());
        var (code, _, err) = CliProcess.Run($"measure --weights \"{w}\" --model \"{m}\" --data \"{tr}\" --out \"{o}\" --balance-matrices");
        Assert.True(code == 0, err);
        var v = Root(o).GetProperty("measures");
        for (int k = 0; k < 2; k++)
        {
            int n = widths[k + 1];
            var expected = BalanceMatrix(ReadTensor(w, $"{2 * k}.weight"), ReadTensor(w, $"{2 * k + 2}.weight"), widths[k], n, widths[k + 2]);
            var b = NpyOf(o, $"layer.{k}.balance_matrix_full");
            Assert.Equal([n, n], b.Shape);
            SameValues(expected, b.Data, 1e-12, $"B_{k}");
            Near(Math.Sqrt(expected.Sum(x => x * x)), v.GetProperty($"layer.{k}.balance_matrix").GetDouble(), 1e-12, $"||B_{k}||_F");
            Near(Enumerable.Range(0, n).Sum(i => expected[i * n + i]), v.GetProperty($"layer.{k}.balance").GetDouble(), 1e-12, $"tr B_{k}");
        }
        Assert.False(Root(o).GetProperty("arrays").TryGetProperty("layer.2.balance_matrix_full", out _)); // 3 weight layers: 2 pairs

        // Without the option: no arrays, and the omitted list says how to ask for them.
        (code, _, err) = CliProcess.Run($"measure --weights \"{w}\" --model \"{m}\" --data \"{tr}\" --out \"{o}\"");
        Assert.True(code == 0, err);
        Assert.False(Root(o).TryGetProperty("arrays", out var arrays) && arrays.TryGetProperty("layer.0.balance_matrix_full", out _));
        Assert.Contains("--balance-matrices", Root(o).GetProperty("omitted").GetProperty("layer.*.balance_matrix_full").GetString());
    }
}
