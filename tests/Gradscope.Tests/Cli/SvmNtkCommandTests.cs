using System.Globalization;
using System.Text;
using System.Text.Json;
using Gradscope.Data;

namespace Gradscope.Tests.Cli;

/// <summary>
/// gradscope svm and gradscope ntk-analytic as real processes: the SVM margin against a brute-force search over directions and
/// every sample's margin; the analytic NTK against its closed forms (x.x'/d at depth 0, the arc-cosine recursion at depth 1,
/// the diagonal (L+1)|x|^2/d at any depth).
/// </summary>
public class SvmNtkCommandTests
{
    private static string Csv(string dir, double[][] x, int[] y)
    {
        var sb = new StringBuilder(string.Join(",", Enumerable.Range(0, x[0].Length).Select(j => "x" + j)) + ",y\n");
        for (int i = 0; i < x.Length; i++) sb.Append(string.Join(",", x[i].Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append(',').Append(y[i]).Append('\n');
        string path = Path.Combine(dir, "data.csv");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    [Fact]
    public void SvmMarginIsTheBestOverAllDirections()
    {
        string dir = Directory.CreateTempSubdirectory("svm").FullName;
        try
        {
            var r = new Random(11);
            var x = new List<double[]>(); var y = new List<int>();
            double teacher = 0.7; // direction (cos, sin) of the separating line through the origin
            while (x.Count < 40)
            {
                double a = r.NextDouble() * 4 - 2, b = r.NextDouble() * 4 - 2;
                double s = a * Math.Cos(teacher) + b * Math.Sin(teacher);
                if (Math.Abs(s) < 0.2) continue;
                x.Add([a, b]); y.Add(s > 0 ? 1 : 0);
            }
            string csv = Csv(dir, x.ToArray(), y.ToArray()), json = Path.Combine(dir, "svm.json");
            var (code, output, err) = CliProcess.Run($"svm \"{csv}\" --out \"{json}\"");
            Assert.True(code == 0, err);
            Assert.Contains("margin", output);
            var doc = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
            double margin = doc.GetProperty("margin").GetDouble();
            var w = Npy.Read(Path.Combine(dir, "svm.direction.npy")).Data;
            var support = Npy.Read(Path.Combine(dir, "svm.support_rows.npy")).Data.Select(v => (int)v).ToArray();
            Assert.Equal(1, Math.Sqrt(w[0] * w[0] + w[1] * w[1]), 12);
            double M(double c, double s, int i) => (y[i] == 1 ? 1 : -1) * (c * x[i][0] + s * x[i][1]);
            // Every sample's margin along the direction is >= the margin, with equality at the support rows.
            for (int i = 0; i < x.Count; i++) Assert.True(M(w[0], w[1], i) >= margin - 1e-9, $"row {i}");
            Assert.NotEmpty(support);
            foreach (int i in support) Assert.Equal(margin, M(w[0], w[1], i), 8);
            // Brute force over 200000 directions: none separates with a larger margin, and the best is as large within grid resolution.
            double best = double.NegativeInfinity;
            for (int k = 0; k < 200000; k++)
            {
                double t = 2 * Math.PI * k / 200000, c = Math.Cos(t), s = Math.Sin(t);
                double mn = double.PositiveInfinity;
                for (int i = 0; i < x.Count; i++) mn = Math.Min(mn, M(c, s, i));
                best = Math.Max(best, mn);
            }
            Assert.True(best <= margin + 1e-9, $"grid {best} > svm {margin}");
            Assert.True(best >= margin - 1e-3, $"grid {best} << svm {margin}");

            // Labels that are not binary: a clear error naming --binary.
            y[0] = 2;
            csv = Csv(dir, x.ToArray(), y.ToArray());
            (code, _, err) = CliProcess.Run($"svm \"{csv}\" --out \"{json}\"");
            Assert.Equal(1, code);
            Assert.Contains("--binary", err);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void AnalyticNtkMatchesClosedForms()
    {
        string dir = Directory.CreateTempSubdirectory("ntka").FullName;
        try
        {
            var r = new Random(3);
            var x = Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, 3).Select(_ => r.NextDouble() * 2 - 1).ToArray()).ToArray();
            string csv = Csv(dir, x, [0, 1, 0, 1, 0, 1]);
            int[] rows = [0, 5, 2];
            double Dot(double[] a, double[] b) => a.Zip(b, (p, q) => p * q).Sum();
            foreach (int depth in new[] { 0, 1, 3 })
            {
                string json = Path.Combine(dir, $"k{depth}.json");
                var (code, output, err) = CliProcess.Run($"ntk-analytic \"{csv}\" --depth {depth} --rows 0,5,2 --out \"{json}\"");
                Assert.True(code == 0, err);
                var ntk = Npy.Read(Path.Combine(dir, $"k{depth}.ntk.npy"));
                Assert.Equal([3, 3], ntk.Shape);
                for (int i = 0; i < 3; i++)
                    Assert.Equal((depth + 1) * Dot(x[rows[i]], x[rows[i]]) / 3, ntk.Data[i * 3 + i], 12);
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++)
                    {
                        double s0 = Dot(x[rows[i]], x[rows[j]]) / 3;
                        if (depth == 0) Assert.Equal(s0, ntk.Data[i * 3 + j], 14);
                        if (depth == 1)
                        {
                            double qi = Dot(x[rows[i]], x[rows[i]]) / 3, qj = Dot(x[rows[j]], x[rows[j]]) / 3;
                            double t = Math.Acos(Math.Clamp(s0 / Math.Sqrt(qi * qj), -1, 1));
                            double s1 = Math.Sqrt(qi * qj) * (Math.Sin(t) + (Math.PI - t) * Math.Cos(t)) / Math.PI;
                            Assert.Equal(s0 * (Math.PI - t) / Math.PI + s1, ntk.Data[i * 3 + j], 12);
                            Assert.Equal(s1, Npy.Read(Path.Combine(dir, "k1.nngp.npy")).Data[i * 3 + j], 12);
                        }
                    }
                // The summary: trace and the eigenvalues (sum = trace, largest first).
                var doc = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
                var eig = Npy.Read(Path.Combine(dir, $"k{depth}.ntk_eigenvalues.npy")).Data;
                double trace = ntk.Data[0] + ntk.Data[4] + ntk.Data[8];
                Assert.Equal(trace, doc.GetProperty("ntk_analytic.trace").GetDouble(), 12);
                Assert.Equal(trace, eig.Sum(), 10);
                Assert.Equal(eig[0], doc.GetProperty("ntk_analytic.lambda_max").GetDouble());
                Assert.True(eig[0] >= eig[1] && eig[1] >= eig[2]);
            }
            var (c2, _, e2) = CliProcess.Run($"ntk-analytic \"{csv}\" --depth 1 --rows 0,6");
            Assert.Equal(1, c2);
            Assert.Contains("row 6 is out of range", e2);
            Assert.Contains("0..5", e2);
        }
        finally { Directory.Delete(dir, true); }
    }
}
