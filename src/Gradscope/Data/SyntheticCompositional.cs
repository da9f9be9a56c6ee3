using Gradscope.Tensors;

namespace Gradscope.Data;

/// <summary>The 2-variable function at each node of a <see cref="CompositionalTree"/>.</summary>
public enum NodeFunction
{
    /// <summary>h(a, b) = tanh(w1 a + w2 b), w ~ N(0, 1) per node.</summary>
    Tanh,
    /// <summary>h(a, b) = c1 a + c2 b + c3 a b + c4 a^2 + c5 b^2, c ~ N(0, 1) rescaled so sum |c_k| = 1 (so |h| &lt;= 1 on [-1, 1]^2).</summary>
    Polynomial,
    /// <summary>
    /// Non-unate (XOR-type) leaves: the nodes of level 1 (parents of two leaves) compute h(a, b) = a b, whose sign is the
    /// XOR of the signs of a and b; the nodes above compute tanh(w1 a + w2 b) as <see cref="Tanh"/>. f is odd in every pair
    /// of sibling leaves jointly but even in each leaf's sign given its sibling's, so every linear function of x has zero
    /// correlation with f (a linear classifier is at chance), while each level-1 product is a degree-2 feature of two
    /// neighbouring leaves.
    /// </summary>
    ProductTanh,
}

/// <summary>How a real target f(x) becomes a class label.</summary>
public enum TargetToClass
{
    /// <summary>Two classes: label 1 when f(x) &gt; 0, else 0.</summary>
    Sign,
    /// <summary>C classes by the empirical quantiles of f over the generated sample: the sample with rank r (0-based, ascending) gets class floor(r C / n), so every class has n/C samples (within one).</summary>
    Quantile,
}

/// <summary>
/// A compositionally sparse function on d = 2^k inputs: a complete binary tree of depth k whose leaves are
/// x_1..x_d and whose every internal node computes a fixed smooth 2-variable function h(a, b) of its two children.
/// Every node's value lies in [-1, 1] when the inputs do (both node families map [-1, 1]^2 into [-1, 1]).
/// </summary>
public sealed class CompositionalTree
{
    /// <summary>A random tree of depth <paramref name="depth"/> (d = 2^depth inputs) with node functions of <paramref name="kind"/>.</summary>
    public CompositionalTree(int depth, NodeFunction kind, Rng rng)
    {
        if (depth < 1 || depth > 20) throw new ArgumentOutOfRangeException(nameof(depth), depth, "CompositionalTree: depth k must be in 1..20 (d = 2^k inputs).");
        Depth = depth; Kind = kind;
        Inputs = 1 << depth;
        int per = kind == NodeFunction.Polynomial ? 5 : 2;
        Coefficients = new double[Inputs - 1][];
        for (int node = 0; node < Coefficients.Length; node++)
        {
            var c = new double[per];
            for (int k = 0; k < per; k++) c[k] = rng.NextNormal();
            if (kind == NodeFunction.Polynomial)
            {
                double s = c.Sum(Math.Abs);
                for (int k = 0; k < per; k++) c[k] /= s;
            }
            Coefficients[node] = c;
        }
    }

    /// <summary>Tree depth k.</summary>
    public int Depth { get; }
    /// <summary>Number of inputs d = 2^k.</summary>
    public int Inputs { get; }
    /// <summary>Node family.</summary>
    public NodeFunction Kind { get; }
    /// <summary>Coefficients per internal node, level by level from the leaves up (d/2 nodes of level 1 first, the root last).</summary>
    public double[][] Coefficients { get; }

    /// <summary>h(a, b) of internal node <paramref name="node"/>.</summary>
    public double Node(int node, double a, double b)
    {
        var c = Coefficients[node];
        return Kind switch
        {
            NodeFunction.Tanh => Math.Tanh(c[0] * a + c[1] * b),
            // level 1 holds the first d/2 nodes (the parents of the leaves)
            NodeFunction.ProductTanh => node < Inputs / 2 ? a * b : Math.Tanh(c[0] * a + c[1] * b),
            _ => c[0] * a + c[1] * b + c[2] * a * b + c[3] * a * a + c[4] * b * b,
        };
    }

    /// <summary>f(x): evaluates the tree bottom-up; node j of a level combines children 2j and 2j + 1 of the level below.</summary>
    public double Evaluate(ReadOnlySpan<double> x)
    {
        if (x.Length != Inputs) throw new ArgumentException($"CompositionalTree: input has {x.Length} values, expected d = {Inputs}.");
        Span<double> level = x.Length <= 1024 ? stackalloc double[x.Length] : new double[x.Length];
        x.CopyTo(level);
        int width = Inputs, node = 0;
        while (width > 1)
        {
            for (int j = 0; j < width / 2; j++) level[j] = Node(node++, level[2 * j], level[2 * j + 1]);
            width /= 2;
        }
        return level[0];
    }
}

/// <summary>How the d = 2^k leaves of a <see cref="CompositionalTree"/> are laid out as features.</summary>
public enum LeafLayout
{
    /// <summary>Feature j is leaf x_j (sample shape (d)).</summary>
    Leaves,
    /// <summary>
    /// For even depth k: a 2^(k/2) x 2^(k/2) image (sample shape (1, s, s)) in Z order: pixel (r, c) holds the leaf whose
    /// index interleaves the bits of c (even bits) and r (odd bits), so every subtree of even depth 2j fills a 2^j x 2^j
    /// block. A locally connected layer with kernel 2 and stride 2 then sees exactly the leaves of a depth-2 subtree.
    /// </summary>
    Grid,
    /// <summary>
    /// The <see cref="Grid"/> image shape with the leaves placed at pixels by a fixed random permutation (drawn from the
    /// tree's seed, so train and test share it): a 2 x 2 block no longer holds a subtree. The control layout for a locally
    /// connected net that mirrors the tree.
    /// </summary>
    Scrambled,
}

/// <summary>A compositional-target dataset with its real-valued targets and the tree.</summary>
public sealed record CompositionalData(Dataset Data, double[] Targets, CompositionalTree Tree);

/// <summary>
/// Classification data from a compositionally sparse target: x ~ U[-1, 1]^d with d = 2^k, target f(x) from a random
/// <see cref="CompositionalTree"/>, labels by <see cref="TargetToClass"/>.
/// </summary>
public static class SyntheticCompositional
{
    /// <summary>
    /// Generates n samples; <paramref name="classes"/> must be 2 for <see cref="TargetToClass.Sign"/>. The tree comes from
    /// <paramref name="seed"/>, the inputs from <paramref name="sampleSeed"/> when given. Quantile thresholds are those of this sample.
    /// <paramref name="layout"/> only permutes the features (<see cref="LeafLayout.Grid"/> needs an even depth); inputs, targets and
    /// labels are the same for both layouts.
    /// </summary>
    public static CompositionalData Generate(int n, int depth, NodeFunction kind, ulong seed, TargetToClass rule = TargetToClass.Sign, int classes = 2, ulong? sampleSeed = null,
        LeafLayout layout = LeafLayout.Leaves)
    {
        if (layout != LeafLayout.Leaves && depth % 2 != 0) throw new ArgumentException($"SyntheticCompositional: the {(layout == LeafLayout.Grid ? "grid" : "scrambled")} layout needs an even depth, got {depth}.");
        if (rule == TargetToClass.Sign && classes != 2) throw new ArgumentException($"SyntheticCompositional: the sign rule makes 2 classes, asked for {classes}.");
        if (classes < 2 || n < classes) throw new ArgumentException($"SyntheticCompositional: need classes >= 2 and n >= classes, got n={n}, classes={classes}.");
        var rng = new Rng(seed);
        var tree = new CompositionalTree(depth, kind, rng);
        int d = tree.Inputs;
        if (sampleSeed is ulong ss) rng = new Rng(ss);
        var x = new double[MemoryLimit.Elements("n x d", sizeof(double), n, d)];
        for (int k = 0; k < x.Length; k++) x[k] = 2 * rng.NextDouble() - 1;
        var f = new double[n];
        for (int i = 0; i < n; i++) f[i] = tree.Evaluate(x.AsSpan(i * d, d));
        var y = new int[n];
        if (rule == TargetToClass.Sign)
            for (int i = 0; i < n; i++) y[i] = f[i] > 0 ? 1 : 0;
        else
        {
            var order = Enumerable.Range(0, n).ToArray();
            Array.Sort(f.ToArray(), order); // stable enough: ties broken by the sort, deterministic
            for (int r = 0; r < n; r++) y[order[r]] = (int)((long)r * classes / n);
        }
        if (layout != LeafLayout.Leaves)
        {
            int side = 1 << (depth / 2);
            var leafOf = layout == LeafLayout.Grid ? GridLeaves(depth) : ScrambledLeaves(depth, seed);
            var image = new double[x.Length];
            for (int i = 0; i < n; i++)
                for (int p = 0; p < d; p++) image[i * d + p] = x[i * d + leafOf[p]];
            var grid = new Dataset($"compositional(n={n}, d={d}, {kind}, {rule}, {(layout == LeafLayout.Grid ? "grid" : "scrambled")})", image, y, [1, side, side], classes);
            return new CompositionalData(grid, f, tree);
        }
        var data = new Dataset($"compositional(n={n}, d={d}, {kind}, {rule})", x, y, [d], classes);
        return new CompositionalData(data, f, tree);
    }

    /// <summary>
    /// The leaf shown at each pixel p = r s + c of the <see cref="LeafLayout.Grid"/> layout (s = 2^(depth/2)): the Z-order index
    /// whose bit 2b is bit b of c and bit 2b + 1 is bit b of r.
    /// </summary>
    public static int[] GridLeaves(int depth)
    {
        if (depth < 2 || depth % 2 != 0) throw new ArgumentException($"SyntheticCompositional: the grid layout needs an even depth >= 2, got {depth}.");
        int half = depth / 2, side = 1 << half;
        var leaf = new int[side * side];
        for (int r = 0; r < side; r++)
            for (int c = 0; c < side; c++)
            {
                int z = 0;
                for (int b = 0; b < half; b++) z |= (((c >> b) & 1) << (2 * b)) | (((r >> b) & 1) << (2 * b + 1));
                leaf[r * side + c] = z;
            }
        return leaf;
    }

    /// <summary>
    /// The leaf shown at each pixel of the <see cref="LeafLayout.Scrambled"/> layout: a uniformly random permutation of the
    /// d = 2^depth leaves (Fisher-Yates) from a stream derived from the tree seed <paramref name="seed"/>.
    /// </summary>
    public static int[] ScrambledLeaves(int depth, ulong seed)
    {
        if (depth < 2 || depth % 2 != 0) throw new ArgumentException($"SyntheticCompositional: the scrambled layout needs an even depth >= 2, got {depth}.");
        var leaf = Enumerable.Range(0, 1 << depth).ToArray();
        var rng = new Rng(seed ^ 0x5C4A_3B1E_D2F0_7986UL);
        for (int i = leaf.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (leaf[i], leaf[j]) = (leaf[j], leaf[i]);
        }
        return leaf;
    }
}
