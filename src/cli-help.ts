// What `hacompile <command> --help` adds to cac's help: the command's
// description (cac prints it only in the command list), sections of its own
// (lab's actions) and two examples, so a newcomer learns a command from its
// help alone.

interface Section {
  title?: string;
  body: string;
}

interface CommandHelp {
  /** Sections printed after Usage. */
  readonly sections?: readonly Section[];
  readonly examples: readonly string[];
}

export const COMMAND_HELP: Readonly<Record<string, CommandHelp>> = {
  build: {
    sections: [
      {
        title: "Exit",
        body: "  0 built (check's errors are counted, not fatal: see --strict), 1 invalid input, 2 usage error",
      },
    ],
    examples: ["hacompile build examples/wordpress-ha/topology.yaml", "hacompile build topology.yaml -o out/site --target systemd --frozen-secrets --strict"],
  },
  validate: {
    examples: ["hacompile validate topology.yaml", "hacompile validate topology.yaml --json"],
  },
  check: {
    examples: ["hacompile check topology.yaml", "hacompile check --keepalived lb1/keepalived.conf lb2/keepalived.conf"],
  },
  graph: {
    examples: ["hacompile graph topology.yaml", "hacompile graph topology.yaml --format svg -o topology.svg"],
  },
  verify: {
    examples: ["sudo hacompile verify out/wordpress-ha", "sudo hacompile verify out/wordpress-ha --tool nginx"],
  },
  lab: {
    sections: [
      {
        title: "Actions",
        body: [
          "  up    build the bundles and start every host (namespaces, or machines with --machines)",
          "  test  bring the lab up, break it scenario by scenario, print what held and how long it took",
          "  down  stop every host and remove what up made",
        ].join("\n"),
      },
    ],
    examples: ["sudo hacompile lab up examples/ha-loadbalancers/topology.yaml", "sudo hacompile lab test topology.yaml --only lb-crash --json figures.json"],
  },
  init: {
    examples: ["hacompile init", "hacompile init my-site"],
  },
  explain: {
    examples: ["hacompile explain loadbalancer.failover.advert_interval", "hacompile explain pools"],
  },
};

/** cac's sections for the command being helped, with its description, sections and examples added. */
export function extendHelp(sections: Section[], command: { name: string; description: string } | undefined): Section[] {
  if (command === undefined || command.name === "") return sections;
  const help = COMMAND_HELP[command.name];
  const [head, usage, ...rest] = sections;
  if (head === undefined || usage === undefined) return sections;
  // cac would print examples unindented: ours are indented like its other sections.
  const examples: Section[] = help ? [{ title: "Examples", body: help.examples.map((e) => `  $ ${e}`).join("\n") }] : [];
  return [head, { body: command.description }, usage, ...(help?.sections ?? []), ...rest, ...examples];
}
