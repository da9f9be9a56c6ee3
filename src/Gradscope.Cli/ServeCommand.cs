using System.CommandLine;
using Gradscope.Cli.Serve;

namespace Gradscope.Cli;

/// <summary><c>gradscope serve [DIR] [--port N]</c>: the live dashboard of the runs, sweeps and reproductions under DIR, on 127.0.0.1 only.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var c = new Command("serve", "Serve a live dashboard of the runs, sweeps and reproductions under a directory (127.0.0.1 only; reads, never writes).");
        var dir = new Argument<string>("dir") { Description = "The directory to serve (default: the current directory).", DefaultValueFactory = _ => "." };
        var port = new Option<int>("--port") { Description = "TCP port on 127.0.0.1 (default 0: a free port).", DefaultValueFactory = _ => 0 };
        c.Arguments.Add(dir); c.Options.Add(port);
        c.SetAction(async (pr, cancel) =>
        {
            string root = Path.GetFullPath(pr.GetValue(dir)!);
            int p = pr.GetValue(port);
            if (!Directory.Exists(root)) { Console.Error.WriteLine($"gradscope serve: '{root}' is not a directory."); return 2; }
            if (p is < 0 or > 65535) { Console.Error.WriteLine($"gradscope serve: --port must be in 0..65535, got {p}."); return 2; }
            DashboardServer server;
            try { server = await DashboardServer.StartAsync(root, p, cancel); }
            catch (IOException e) { Console.Error.WriteLine($"gradscope serve: {e.Message}"); return 2; }
            await using (server)
            {
                Console.WriteLine($"Serving {root} at {server.Url} (Ctrl+C to stop)");
                try { await server.WaitAsync(cancel); }
                catch (OperationCanceledException) { }
            }
            return 0;
        });
        return c;
    }
}
