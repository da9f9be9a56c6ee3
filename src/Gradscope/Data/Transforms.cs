using Gradscope.Tensors;

namespace Gradscope.Data;

/// <summary>
/// Seeded dataset transforms: train/test splits, per-class subsampling, binary tasks, scaling, label
/// noise and random labels. The same seed always gives the same result (Gradscope's <see cref="Rng"/>).
/// </summary>
public static class Transforms
{
    /// <summary>
    /// Splits into train and test. Stratified: within each class, round(testFraction * n_c) samples go to
    /// test, chosen by a seeded shuffle; otherwise round(testFraction * n) samples of a shuffled order.
    /// Both parts keep the original sample order. Throws when the fraction is outside (0, 1).
    /// </summary>
    public static (Dataset Train, Dataset Test) Split(Dataset data, double testFraction, ulong seed, bool stratified = true)
    {
        if (!(testFraction > 0 && testFraction < 1)) throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "Split: test fraction must be in (0, 1).");
        var rows = SplitByFraction(data, testFraction, 0, seed, stratified);
        return (data.Subset(rows.Train, data.Name + "/train"), data.Subset(rows.Test, data.Name + "/test"));
    }

    /// <summary>
    /// Row indices of a three-way split by fractions. Stratified: within each class (members shuffled by one seeded
    /// generator, classes in order), the first round(testFraction * n_c) go to test, the next round(validationFraction * n_c)
    /// to validation, the rest to train; otherwise the same on one shuffled order of all n rows. The three parts are
    /// disjoint, cover every row, and each is sorted ascending. Throws when a fraction is outside [0, 1) or they sum to 1 or more.
    /// </summary>
    public static SplitRows SplitByFraction(Dataset data, double testFraction, double validationFraction, ulong seed, bool stratified = true)
    {
        if (!(testFraction >= 0 && validationFraction >= 0 && testFraction + validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), $"Split: fractions must be >= 0 with test + validation < 1, got test {testFraction} and validation {validationFraction}.");
        var rng = new Rng(seed);
        var part = new byte[data.N]; // 0 train, 1 validation, 2 test
        void Assign(int[] members)
        {
            rng.Shuffle(members.AsSpan());
            int kt = (int)Math.Round(testFraction * members.Length, MidpointRounding.AwayFromZero);
            int kv = Math.Min(members.Length - kt, (int)Math.Round(validationFraction * members.Length, MidpointRounding.AwayFromZero));
            for (int i = 0; i < kt; i++) part[members[i]] = 2;
            for (int i = kt; i < kt + kv; i++) part[members[i]] = 1;
        }
        if (stratified) foreach (var members in ByClass(data)) Assign(members);
        else Assign(Enumerable.Range(0, data.N).ToArray());
        return SplitRows.FromParts(part);
    }

    /// <summary>
    /// Row indices of a three-way split by per-class counts: within each class (members shuffled by one seeded generator,
    /// classes in order) the first <paramref name="testPerClass"/> go to test, the next <paramref name="validationPerClass"/>
    /// to validation, then <paramref name="trainPerClass"/> (null: all the rest) to train; rows beyond those are unused.
    /// Throws ArgumentException naming the class when a class has fewer samples than asked for.
    /// </summary>
    public static SplitRows SplitPerClass(Dataset data, int? trainPerClass, int testPerClass, int validationPerClass, ulong seed)
    {
        if (testPerClass < 0 || validationPerClass < 0 || trainPerClass is < 1)
            throw new ArgumentOutOfRangeException(nameof(testPerClass), "Split: per-class counts must be >= 0 (train >= 1).");
        var rng = new Rng(seed);
        var part = new byte[data.N];
        Array.Fill(part, (byte)3); // 3 = unused
        var groups = ByClass(data);
        for (int c = 0; c < groups.Length; c++)
        {
            var members = groups[c];
            int need = testPerClass + validationPerClass + (trainPerClass ?? 1);
            if (members.Length < need)
                throw new ArgumentException($"dataset '{data.Name}' has {members.Length} samples of class {c}, fewer than the {need} the split asks for "
                    + $"({testPerClass} test + {validationPerClass} validation + {(trainPerClass is int t ? t.ToString(System.Globalization.CultureInfo.InvariantCulture) + " train" : "at least 1 train")}).");
            rng.Shuffle(members.AsSpan());
            int i = 0;
            for (; i < testPerClass; i++) part[members[i]] = 2;
            for (; i < testPerClass + validationPerClass; i++) part[members[i]] = 1;
            int end = trainPerClass is int tr ? i + tr : members.Length;
            for (; i < end; i++) part[members[i]] = 0;
        }
        return SplitRows.FromParts(part);
    }

    /// <summary>
    /// Keeps <paramref name="perClass"/> samples of every class (a seeded random choice; original order kept).
    /// Throws ArgumentException naming the class when a class has fewer samples.
    /// </summary>
    public static Dataset SubsamplePerClass(Dataset data, int perClass, ulong seed) =>
        data.Subset(SubsamplePerClassRows(data, perClass, seed), $"{data.Name}[{perClass}/class]");

    /// <summary>The rows <see cref="SubsamplePerClass"/> keeps, ascending.</summary>
    public static int[] SubsamplePerClassRows(Dataset data, int perClass, ulong seed)
    {
        if (perClass <= 0) throw new ArgumentOutOfRangeException(nameof(perClass), perClass, "SubsamplePerClass: need at least 1 per class.");
        var rng = new Rng(seed);
        var keep = new List<int>();
        var groups = ByClass(data);
        for (int c = 0; c < groups.Length; c++)
        {
            if (groups[c].Length < perClass) throw new ArgumentException($"SubsamplePerClass: dataset '{data.Name}' has {groups[c].Length} samples of class {c}, asked for {perClass}.");
            rng.Shuffle(groups[c].AsSpan());
            keep.AddRange(groups[c].Take(perClass));
        }
        keep.Sort();
        return keep.ToArray();
    }

    /// <summary>
    /// The binary task "class <paramref name="negative"/> vs class <paramref name="positive"/>": keeps those
    /// samples and relabels them 0 and 1 (so y = -1 / +1 for a one-output net).
    /// </summary>
    public static Dataset BinaryTask(Dataset data, int negative, int positive)
    {
        if ((uint)negative >= (uint)data.Classes || (uint)positive >= (uint)data.Classes || negative == positive)
            throw new ArgumentException($"BinaryTask: classes {negative} and {positive} must be distinct classes of '{data.Name}' (0..{data.Classes - 1}).");
        var idx = Enumerable.Range(0, data.N).Where(i => data.Y[i] == negative || data.Y[i] == positive).ToArray();
        var sub = data.Subset(idx);
        var y = sub.Y.Select(v => v == positive ? 1 : 0).ToArray();
        return new Dataset($"{data.Name}[{negative} vs {positive}]", sub.X, y, data.SampleShape, 2);
    }

    /// <summary>A copy with every feature multiplied by <paramref name="factor"/> (e.g. 1/16 for optdigits counts).</summary>
    public static Dataset Scale(Dataset data, double factor)
    {
        var x = new double[data.X.Length];
        for (int i = 0; i < x.Length; i++) x[i] = data.X[i] * factor;
        return new Dataset(data.Name, x, (int[])data.Y.Clone(), data.SampleShape, data.Classes);
    }

    /// <summary>
    /// Label noise: exactly round(fraction * n) samples, chosen uniformly at random without replacement, get a
    /// label drawn uniformly from the C - 1 other classes. <paramref name="flipped"/> receives their indices (sorted).
    /// </summary>
    public static Dataset LabelNoise(Dataset data, double fraction, ulong seed, out int[] flipped)
    {
        if (!(fraction >= 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "LabelNoise: fraction must be in [0, 1].");
        var rng = new Rng(seed);
        var order = Enumerable.Range(0, data.N).ToArray();
        rng.Shuffle(order.AsSpan());
        int k = (int)Math.Round(fraction * data.N, MidpointRounding.AwayFromZero);
        flipped = order[..k];
        Array.Sort(flipped);
        var y = (int[])data.Y.Clone();
        foreach (int i in flipped)
        {
            int r = rng.NextInt(data.Classes - 1);
            y[i] = r >= data.Y[i] ? r + 1 : r; // uniform over the other classes
        }
        return data.WithLabels(y, $"{data.Name}[noise {fraction:0.###}]");
    }

    /// <summary>Label noise without returning the flipped indices.</summary>
    public static Dataset LabelNoise(Dataset data, double fraction, ulong seed) => LabelNoise(data, fraction, seed, out _);

    /// <summary>Fully random labels: each label drawn independently and uniformly from the C classes (Zhang et al.'s randomization test).</summary>
    public static Dataset RandomLabels(Dataset data, ulong seed)
    {
        var rng = new Rng(seed);
        var y = new int[data.N];
        for (int i = 0; i < y.Length; i++) y[i] = rng.NextInt(data.Classes);
        return data.WithLabels(y, $"{data.Name}[random labels]");
    }

    /// <summary>Sample indices of each class, in order.</summary>
    public static int[][] ByClass(Dataset data)
    {
        var lists = new List<int>[data.Classes];
        for (int c = 0; c < lists.Length; c++) lists[c] = [];
        for (int i = 0; i < data.N; i++) lists[data.Y[i]].Add(i);
        return lists.Select(l => l.ToArray()).ToArray();
    }
}

/// <summary>Row indices of the parts of a split (each sorted ascending; pairwise disjoint).</summary>
/// <param name="Train">Training rows.</param>
/// <param name="Validation">Validation rows (empty when the split has none).</param>
/// <param name="Test">Test rows.</param>
public sealed record SplitRows(int[] Train, int[] Validation, int[] Test)
{
    /// <summary>From a part code per row: 0 train, 1 validation, 2 test, anything else unused.</summary>
    public static SplitRows FromParts(byte[] part)
    {
        var lists = new[] { new List<int>(), new List<int>(), new List<int>() };
        for (int i = 0; i < part.Length; i++) if (part[i] < 3) lists[part[i]].Add(i);
        return new SplitRows(lists[0].ToArray(), lists[1].ToArray(), lists[2].ToArray());
    }
}
