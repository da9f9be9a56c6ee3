namespace Gradscope.Claims.Rules;

using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// compositional-sparsity: a binary-label target sign f(x) with f a complete binary tree of 2-variable functions
/// (Data/SyntheticCompositional, leaves laid out in Z order on a square image so that each 2 x 2 block is a
/// depth-2 subtree). A deep net of locally connected layers with kernel 2 and stride 2 (no weight sharing) mirrors
/// the tree: each layer computes functions of one block, i.e. of two tree levels. A shallow net is one dense hidden
/// layer. Both are trained by the shared trainer (same loss, algorithm and steps) on nested training sets of
/// growing size n and evaluated on one large test set from the same tree.
/// </summary>
public sealed class CompositionalSparsity : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "compositional-sparsity";

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var sizes = ctx.Parameters.Ints("sizes");
        double target = ctx.Parameters.Double("target_error");
        var deep = new List<double>(); var shallow = new List<double>();
        long deepParams = 0, shallowParams = 0;
        double majority = double.NaN;
        foreach (int n in sizes)
        {
            foreach (string net in new[] { "deep", "shallow" })
            {
                string name = $"{net}-n{n}";
                // the same seed for both nets at a given n: the same training sample
                var cfg = ConfigVariants.WithTrainDataParameter(ctx.Config(net, $"n{n}"), "n", n);
                var trainer = new Trainer<double>(cfg);
                if (net == "deep") deepParams = trainer.Model.ParameterCount; else shallowParams = trainer.Model.ParameterCount;
                if (double.IsNaN(majority) && trainer.Test is { } test)
                {
                    double ones = test.Y.Count(y => y == 1) / (double)test.N;
                    majority = Math.Max(ones, 1 - ones);
                }
                ctx.Progress($"{name}: training");
                var result = ctx.Run(trainer, name);
                double err = 1 - result.Final["test_acc"];
                (net == "deep" ? deep : shallow).Add(err);
                outcome.Numbers.Add(Evidence.Info($"n = {n}: {net} net test error", err, $"training error {ClaimContext.Fmt(1 - result.Final["train_acc"])}"));
            }
        }
        double wins = Enumerable.Range(0, sizes.Length).Count(i => deep[i] < shallow[i]) / (double)sizes.Length;
        int nDeep = FirstReaching(sizes, deep, target), nShallow = FirstReaching(sizes, shallow, target);
        double ratio = nDeep < 0 ? double.NaN : (nShallow < 0 ? sizes[^1] : nShallow) / (double)nDeep;
        outcome.Numbers.Insert(0, ctx.Check("deep_wins_fraction", "fraction of sample sizes where the deep locally connected net has the lower test error", wins));
        outcome.Numbers.Insert(1, ctx.Check("sample_ratio", $"n needed by the shallow net / n needed by the deep net to reach test error {ClaimContext.Fmt(target)}"
            + (nShallow < 0 && nDeep > 0 ? $" (the shallow net never reached it: lower bound with n = {sizes[^1]})" : ""), ratio));
        outcome.Numbers.Insert(2, Evidence.Info("smallest n at which the deep net reaches the target error (-1: never)", nDeep));
        outcome.Numbers.Insert(3, Evidence.Info("smallest n at which the shallow net reaches the target error (-1: never)", nShallow));
        outcome.Numbers.Insert(4, Evidence.Info("parameters of the deep locally connected net", deepParams));
        outcome.Numbers.Insert(5, Evidence.Info("parameters of the shallow dense net", shallowParams));
        outcome.Numbers.Insert(6, Evidence.Info("test error of always predicting the majority class", 1 - majority));
        var ns = sizes.Select(v => (double)v).ToList();
        outcome.Charts.Add(Charts.Lines("error-vs-n", "Test error vs number of training samples",
            $"Deep locally connected net matching the tree vs one-hidden-layer dense net, same training; the claim: the deep net needs far fewer samples (target error {ClaimContext.Fmt(target)}).",
            "training samples n", "test error", [new Series("deep locally connected", ns, deep), new Series("shallow dense", ns, shallow)], logX: true));
        outcome.Notes.Add("The deep net: locally connected layers (kernel 2 x 2, stride 2, no weight sharing, ReLU) down to one position, then a dense output; with the Z-order layout each layer's receptive fields are exactly the subtrees two tree levels higher. The shallow net: one dense ReLU hidden layer.");
        outcome.Notes.Add("Node functions tanh(w1 a + w2 b) are odd and the inputs uniform on [-1, 1]^d, so f(-x) = -f(x) and both labels are equally likely: the chance-level test error is 1/2.");
        outcome.Notes.Add("Training sets are nested (the first n samples of one stream); both nets see the same samples at each n and are trained with the same loss, step size and number of full-batch GD steps.");
        return outcome;
    }

    private static int FirstReaching(int[] sizes, List<double> errors, double target)
    {
        for (int i = 0; i < sizes.Length; i++) if (errors[i] <= target) return sizes[i];
        return -1;
    }
}
