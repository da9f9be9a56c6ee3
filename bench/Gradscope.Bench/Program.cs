using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Gradscope.Bench -- --filter '*Gemm*'
BenchmarkSwitcher.FromAssembly(typeof(Gradscope.Bench.GemmBenchmarks).Assembly).Run(args);
