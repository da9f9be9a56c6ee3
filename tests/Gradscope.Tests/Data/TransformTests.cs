using Gradscope.Data;

namespace Gradscope.Tests.Data;

/// <summary>Transforms: standardization, splits, subsampling, binary tasks, label noise.</summary>
public class TransformTests
{
    private static Dataset Toy(int n = 100, int classes = 4)
    {
        var x = new double[n * 2];
        var y = new int[n];
        for (int i = 0; i < n; i++) { x[2 * i] = i; x[2 * i + 1] = 5; y[i] = i % classes; }
        return new Dataset("toy", x, y, [2], classes);
    }

    [Fact]
    public void StandardizerFitsOnTrainAndAppliesToTest()
    {
        var train = new Dataset("tr", [1, 10, 3, 10, 5, 10], [0, 1, 0], [2], 2);
        var test = new Dataset("te", [7, 4], [1], [2], 2);
        var s = Standardizer.Fit(train);
        Assert.Equal([3, 10], s.Mean);
        Assert.Equal(Math.Sqrt(8.0 / 3.0), s.Std[0], 15); // population std of 1, 3, 5
        Assert.Equal(1, s.Std[1]); // constant feature
        var t = s.Apply(test);
        Assert.Equal(4 / Math.Sqrt(8.0 / 3.0), t.X[0], 14);
        Assert.Equal(-6, t.X[1]);
        var z = s.Apply(train);
        Assert.Equal(0, z.X.Where((_, k) => k % 2 == 0).Sum(), 12);
        Assert.Throws<ArgumentException>(() => s.Apply(new Dataset("bad", [1, 2, 3], [0], [3], 2)));
    }

    [Fact]
    public void StratifiedSplitIsDeterministicDisjointAndProportional()
    {
        var d = Toy(100, 4);
        var (tr1, te1) = Transforms.Split(d, 0.2, seed: 7);
        var (tr2, te2) = Transforms.Split(d, 0.2, seed: 7);
        var (_, te3) = Transforms.Split(d, 0.2, seed: 8);
        Assert.Equal(te1.X, te2.X);
        Assert.Equal(tr1.X, tr2.X);
        Assert.NotEqual(te1.X, te3.X);
        Assert.Equal(80, tr1.N);
        Assert.Equal(20, te1.N);
        for (int c = 0; c < 4; c++) Assert.Equal(5, te1.Y.Count(v => v == c));
        var ids = tr1.X.Where((_, k) => k % 2 == 0).Concat(te1.X.Where((_, k) => k % 2 == 0)).OrderBy(v => v).ToArray();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (double)i), ids);
        var (tr4, te4) = Transforms.Split(d, 0.3, seed: 1, stratified: false);
        Assert.Equal(30, te4.N);
        Assert.Equal(70, tr4.N);
    }

    [Fact]
    public void SubsamplePerClassAndBinaryTask()
    {
        var d = Toy(100, 4);
        var s = Transforms.SubsamplePerClass(d, 3, seed: 1);
        Assert.Equal(12, s.N);
        for (int c = 0; c < 4; c++) Assert.Equal(3, s.Y.Count(v => v == c));
        Assert.Contains("class 0", Assert.Throws<ArgumentException>(() => Transforms.SubsamplePerClass(d, 26, 1)).Message);
        var b = Transforms.BinaryTask(d, 1, 3);
        Assert.Equal(2, b.Classes);
        Assert.Equal(50, b.N);
        for (int i = 0; i < b.N; i++) Assert.Equal((int)b.X[2 * i] % 4 == 3 ? 1 : 0, b.Y[i]);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(0.25)]
    [InlineData(1.0)]
    public void LabelNoiseFlipsExactlyTheFractionToOtherClasses(double fraction)
    {
        var d = Toy(200, 5);
        var noisy = Transforms.LabelNoise(d, fraction, seed: 3, out var flipped);
        int changed = Enumerable.Range(0, d.N).Count(i => noisy.Y[i] != d.Y[i]);
        Assert.Equal((int)Math.Round(fraction * 200), changed);
        Assert.Equal(changed, flipped.Length);
        foreach (int i in flipped) Assert.NotEqual(d.Y[i], noisy.Y[i]);
        Assert.Equal(noisy.Y, Transforms.LabelNoise(d, fraction, seed: 3).Y);
    }

    [Fact]
    public void LabelNoiseTargetsAreUniformOverOtherClasses()
    {
        var d = new Dataset("z", new double[20000], new int[20000], [1], 4); // all class 0
        var noisy = Transforms.LabelNoise(d, 1.0, seed: 5);
        for (int c = 1; c < 4; c++) Assert.InRange(noisy.Y.Count(v => v == c), 6667 - 300, 6667 + 300); // 3 sigma ~ 200
        Assert.Equal(0, noisy.Y.Count(v => v == 0));
    }

    [Fact]
    public void RandomLabelsAreSeededAndRoughlyUniform()
    {
        var d = Toy(4000, 4);
        var r = Transforms.RandomLabels(d, 11);
        Assert.Equal(r.Y, Transforms.RandomLabels(d, 11).Y);
        for (int c = 0; c < 4; c++) Assert.InRange(r.Y.Count(v => v == c), 1000 - 120, 1000 + 120);
    }
}
