using Gradscope.Data;

namespace Gradscope.Tests.Data;

/// <summary>The product_tanh node family and the scrambled leaf layout of the compositional generator.</summary>
public class CompositionalXorTests
{
    [Fact]
    public void ProductTanhTreeMultipliesSiblingLeavesUnderTanhNodes()
    {
        var data = SyntheticCompositional.Generate(64, depth: 2, NodeFunction.ProductTanh, seed: 4);
        var c = data.Tree.Coefficients;
        for (int i = 0; i < 64; i++)
        {
            var x = data.Data.Row(i);
            // written out by hand: level 1 = x0 x1 and x2 x3, the root tanh(w1 l + w2 r)
            double f = Math.Tanh(c[2][0] * (x[0] * x[1]) + c[2][1] * (x[2] * x[3]));
            Assert.Equal(f, data.Targets[i], 14);
            Assert.Equal(f > 0 ? 1 : 0, data.Data.Y[i]);
        }
    }

    [Fact]
    public void ProductTanhTargetIsEvenInSiblingPairsAndUncorrelatedWithEveryLeaf()
    {
        var tree = SyntheticCompositional.Generate(2, depth: 4, NodeFunction.ProductTanh, seed: 5).Tree;
        var rng = new Gradscope.Tensors.Rng(12);
        double[] corr = new double[16];
        const int n = 20000;
        for (int s = 0; s < n; s++)
        {
            var x = new double[16];
            for (int j = 0; j < 16; j++) x[j] = 2 * rng.NextDouble() - 1;
            double f = tree.Evaluate(x);
            var pair = (double[])x.Clone(); pair[6] = -pair[6]; pair[7] = -pair[7];
            Assert.Equal(f, tree.Evaluate(pair), 14);        // flipping two siblings keeps their product
            var one = (double[])x.Clone(); one[6] = -one[6];
            // flipping one leaf flips its product: the same as the tree with that product negated
            double expected = tree.Evaluate(pair.Select((v, j) => j == 7 ? -v : v).ToArray());
            Assert.Equal(expected, tree.Evaluate(one), 14);
            for (int j = 0; j < 16; j++) corr[j] += f * x[j] / n;
        }
        // E[f x_j] = 0 exactly (x_j -> -x_j together with its sibling's sign is a symmetry); |f| <= 1, |x| <= 1: 5 sigma < 0.04
        Assert.All(corr, v => Assert.InRange(v, -0.04, 0.04));
    }

    [Fact]
    public void ScrambledLayoutIsASeededPermutationOfTheLeaves()
    {
        var leaves = SyntheticCompositional.Generate(30, depth: 4, NodeFunction.ProductTanh, seed: 3, sampleSeed: 9);
        var scrambled = SyntheticCompositional.Generate(30, depth: 4, NodeFunction.ProductTanh, seed: 3, sampleSeed: 9, layout: LeafLayout.Scrambled);
        var perm = SyntheticCompositional.ScrambledLeaves(4, 3);
        Assert.Equal(Enumerable.Range(0, 16), perm.OrderBy(v => v));
        Assert.Equal(perm, SyntheticCompositional.ScrambledLeaves(4, 3));
        Assert.NotEqual(perm, SyntheticCompositional.ScrambledLeaves(4, 4));
        Assert.NotEqual(SyntheticCompositional.GridLeaves(4), perm);
        Assert.Equal(new[] { 1, 4, 4 }, scrambled.Data.SampleShape);
        Assert.Equal(leaves.Data.Y, scrambled.Data.Y);
        for (int i = 0; i < 30; i++)
            for (int p = 0; p < 16; p++) Assert.Equal(leaves.Data.Row(i)[perm[p]], scrambled.Data.Row(i)[p]);
        Assert.Throws<ArgumentException>(() => SyntheticCompositional.Generate(10, 3, NodeFunction.Tanh, 1, layout: LeafLayout.Scrambled));
    }

    [Fact]
    public void ResolverNamesTheNewNodeAndLayout()
    {
        var p = new Dictionary<string, string> { ["n"] = "12", ["depth"] = "4", ["node"] = "product_tanh", ["layout"] = "scrambled", ["seed"] = "3" };
        var d = DataResolver.Resolve("compositional", p, isTest: false, runSeed: 0)!;
        Assert.Equal(new[] { 1, 4, 4 }, d.SampleShape);
        Assert.Contains("scrambled", d.Name);
        p["node"] = "xor";
        var e = Assert.Throws<ArgumentException>(() => DataResolver.Resolve("compositional", p, isTest: false, runSeed: 0));
        Assert.Contains("node", e.Message);
    }
}
