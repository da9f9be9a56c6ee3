using System.Globalization;
using System.Text;
using System.Text.Json;
using Gradscope.Data;
using Gradscope.IO;

namespace Gradscope.Tests.Cli;

/// <summary>
/// measure --ntk --ntk-rows: the empirical NTK Gram matrix written as .npy for explicit rows, against K built in the test from
/// hand-written parameter gradients of y = W2 relu(W1 x); and its eigenvalues against the matrix's trace.
/// </summary>
public class MeasureNtkRowsTests
{
    [Fact]
    public void GramMatrixOfExplicitRowsMatchesHandGradients()
    {
        string dir = Directory.CreateTempSubdirectory("ntkrows").FullName;
        try
        {
            var r = new Random(5);
            double[] w1 = Enumerable.Range(0, 12).Select(_ => r.NextDouble() * 2 - 1).ToArray(); // 4 x 3
            double[] w2 = Enumerable.Range(0, 8).Select(_ => r.NextDouble() * 2 - 1).ToArray();  // 2 x 4
            var x = Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, 3).Select(_ => r.NextDouble() * 2 - 1).ToArray()).ToArray();
            string weights = Path.Combine(dir, "w.safetensors"), model = Path.Combine(dir, "m.yaml"), csv = Path.Combine(dir, "d.csv"), json = Path.Combine(dir, "out.json");
            SafeTensors.Write(weights, [new SafeTensor("0.weight", SafeTensorDType.F64, [4, 3], w1), new SafeTensor("2.weight", SafeTensorDType.F64, [2, 4], w2)]);
            File.WriteAllText(model, "input: [3]\nlayers:\n  - {type: dense, out: 4}\n  - {type: relu}\n  - {type: dense, out: 2}\n");
            var sb = new StringBuilder("x0,x1,x2,y\n");
            for (int i = 0; i < 6; i++) sb.Append(string.Join(",", x[i].Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append(',').Append(i % 2).Append('\n');
            File.WriteAllText(csv, sb.ToString());

            var (code, _, err) = CliProcess.Run($"measure --weights \"{weights}\" --model \"{model}\" --data \"{csv}\" --ntk --ntk-rows 4,0,3 --out \"{json}\"");
            Assert.True(code == 0, err);
            var arrays = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("arrays");
            var k = Npy.Read(Path.Combine(dir, arrays.GetProperty("ntk.gram").GetString()!));
            Assert.Equal([6, 6], k.Shape);
            Assert.Equal([4.0, 0, 3], Npy.Read(Path.Combine(dir, arrays.GetProperty("ntk.rows").GetString()!)).Data);

            // Gradient of f_o(x) with respect to (W1, W2), flattened: dW1[j,k] = W2[o,j] 1[z_j > 0] x_k, dW2[o',j] = [o' = o] h_j.
            double[] Grad(double[] xi, int o)
            {
                var g = new double[20];
                for (int j = 0; j < 4; j++)
                {
                    double z = 0;
                    for (int c = 0; c < 3; c++) z += w1[j * 3 + c] * xi[c];
                    if (z > 0) for (int c = 0; c < 3; c++) g[j * 3 + c] = w2[o * 4 + j] * xi[c];
                    g[12 + o * 4 + j] = Math.Max(z, 0);
                }
                return g;
            }
            int[] rows = [4, 0, 3];
            for (int a = 0; a < 6; a++)
                for (int b = 0; b < 6; b++)
                {
                    var ga = Grad(x[rows[a / 2]], a % 2); var gb = Grad(x[rows[b / 2]], b % 2);
                    Assert.Equal(ga.Zip(gb, (p, q) => p * q).Sum(), k.Data[a * 6 + b], 12);
                }
            var eig = Npy.Read(Path.Combine(dir, arrays.GetProperty("ntk.eigenvalues").GetString()!)).Data;
            Assert.Equal(Enumerable.Range(0, 6).Sum(i => k.Data[i * 6 + i]), eig.Sum(), 10);
            Assert.True(eig.Zip(eig.Skip(1), (p, q) => p >= q).All(t => t));

            (code, _, err) = CliProcess.Run($"measure --weights \"{weights}\" --model \"{model}\" --data \"{csv}\" --ntk --ntk-rows 1,6 --out \"{json}\"");
            Assert.Equal(1, code);
            Assert.Contains("--ntk-rows: row 6 is out of range", err);
            Assert.Contains("0..5", err);
        }
        finally { Directory.Delete(dir, true); }
    }
}
