using Gradscope.Cli.Bench;

namespace Gradscope.Tests.Fuzz;

/// <summary>
/// `bench gemm --shape`'s parser over seeded random and mutated texts (it never throws and accepts exactly the
/// MxNxK[:op] texts it documents, with the same numbers back), and the 'claims' shape list against the claim
/// definitions it names.
/// </summary>
public class GemmShapeFuzzTests
{
    [Fact]
    public void ParserAcceptsExactlyTheDocumentedFormAndNeverThrows()
    {
        var rng = new Random(20261208);
        const string alphabet = "0123456789xX:ntNT -+.,e\u00e9\0";
        int accepted = 0;
        for (int i = 0; i < 20_000; i++)
        {
            string text;
            if (i % 2 == 0)
            {
                int m = rng.Next(-3, 17000), n = rng.Next(-3, 17000), k = rng.Next(-3, 17000);
                string[] ops = ["", ":nn", ":nt", ":tn", ":tt", ":TN", ":xx", ":n", ":"];
                text = $"{m}x{n}x{k}{ops[rng.Next(ops.Length)]}";
                if (rng.Next(4) == 0) text = text.Insert(rng.Next(text.Length + 1), alphabet[rng.Next(alphabet.Length)].ToString());
            }
            else
            {
                var chars = new char[rng.Next(0, 24)];
                for (int c = 0; c < chars.Length; c++) chars[c] = alphabet[rng.Next(alphabet.Length)];
                text = new string(chars);
            }
            bool ok = GemmShape.TryParse(text, out var shape, out string? why);
            bool expected = Expected(text, out int em, out int en, out int ek, out bool ta, out bool tb);
            Assert.True(ok == expected, $"'{text}': parser said {ok}, the form says {expected} ({why})");
            if (ok)
            {
                accepted++;
                Assert.Null(why);
                Assert.Equal((em, en, ek, ta, tb), (shape.M, shape.N, shape.K, shape.TransA, shape.TransB));
            }
            else Assert.False(string.IsNullOrWhiteSpace(why));
        }
        Assert.True(accepted > 1000, $"only {accepted} valid texts were generated");
    }

    /// <summary>The documented form, checked independently: three decimal integers in 1..16384 joined by 'x', then optionally ':' and nn/nt/tn/tt in any case.</summary>
    private static bool Expected(string text, out int m, out int n, out int k, out bool ta, out bool tb)
    {
        m = n = k = 0; ta = tb = false;
        var match = System.Text.RegularExpressions.Regex.Match(text, @"^([0-9]+)x([0-9]+)x([0-9]+)(?::([nNtT])([nNtT]))?$");
        if (!match.Success) return false;
        bool Dim(string s, out int v) => int.TryParse(s, out v) && v >= 1 && v <= 16384;
        if (!Dim(match.Groups[1].Value, out m) || !Dim(match.Groups[2].Value, out n) || !Dim(match.Groups[3].Value, out k)) return false;
        if (match.Groups[4].Success) { ta = char.ToLowerInvariant(match.Groups[4].Value[0]) == 't'; tb = char.ToLowerInvariant(match.Groups[5].Value[0]) == 't'; }
        return true;
    }

    [Fact]
    public void ClaimShapesNameExistingClaimsAndTheirWidths()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Gradscope.slnx"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        string definitions = Path.Combine(root, "src", "Gradscope", "Claims", "Definitions");
        Assert.NotEmpty(GemmShape.Claims);
        foreach (var s in GemmShape.Claims)
        {
            string claim = s.Role!.Split(' ')[0];
            string file = Path.Combine(definitions, claim + ".yaml");
            Assert.True(File.Exists(file), $"{s}: no claim definition {claim}.yaml");
            string text = File.ReadAllText(file);
            // a dense layer's product involves two of its widths (x W^T: n and k; dW: m and n; dx: n and k)
            var (w1, w2) = s.TransA ? (s.M, s.N) : (s.N, s.K);
            foreach (int w in new[] { w1, w2 })
                Assert.True(System.Text.RegularExpressions.Regex.IsMatch(text, $@"widths:[^\]]*\b{w}\b"), $"{s}: width {w} is not among {claim}'s widths");
        }
    }
}
