# Sphinx configuration of the collection's docs site (tools/build-docs), from antsibull-docs
# sphinx-init. The build is offline: instead of intersphinx inventories, references into
# Ansible's own documentation are resolved by the table below, and any other unresolved
# reference fails the build.
import re

from docutils import nodes

project = 'virter.core'
copyright = 'virter.core contributors'  # pylint: disable=redefined-builtin

title = 'virter.core documentation'
html_short_title = 'virter.core'

extensions = ['sphinx_antsibull_ext']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False
html_theme_options = {
    'documentation_home_url': 'index.html',
    'topbar_links': {
        'Repository': 'https://github.com/virter-core/virter.core',
        'Issues': 'https://github.com/virter-core/virter.core/issues',
    },
}

default_role = 'any'
nitpicky = True

ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
ANSIBLE_LABELS = {
    'common_return_values': 'reference_appendices/common_return_values.html',
    'ansible_configuration_settings': 'reference_appendices/config.html',
    'action_plugins': 'plugins/action.html',
}
BUILTIN_PLUGIN = re.compile(r'ansible_collections\.ansible\.builtin\.(\w+)')


def ansible_docs_path(reftype, target):
    """The page of Ansible's documentation a reference the generated pages make points to."""
    if reftype == 'envvar' and target.startswith('ANSIBLE_'):
        return 'reference_appendices/config.html#envvar-' + target
    if reftype != 'ref':
        return None
    match = BUILTIN_PLUGIN.fullmatch(target)
    if match:
        return 'collections/ansible/builtin/%s.html' % match.group(1)
    return ANSIBLE_LABELS.get(target)


def resolve_ansible_docs(app, env, node, contnode):  # pylint: disable=unused-argument
    path = ansible_docs_path(node.get('reftype'), node.get('reftarget', ''))
    if path is None:
        return None
    link = nodes.reference('', '', internal=False, refuri=ANSIBLE_DOCS + path)
    link.append(contnode)
    return link


def setup(app):
    app.connect('missing-reference', resolve_ansible_docs)
